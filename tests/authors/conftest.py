"""One database per engine for a module of author tests that only read: loading the real author
lists once keeps these files fast."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from paperwire.db.engine import make_engine
from paperwire.db.migrate import upgrade
from tests.authors.fixture import load
from tests.conftest import _truncate_pg


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def loaded(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    """An engine on a database holding the fixture's papers and their author index (read only)."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('authors') / 'paperwire.db'}")
        upgrade(engine)
    else:
        engine = make_engine(request.getfixturevalue("pg_server_url"))
        _truncate_pg(engine)
    load(engine)
    yield engine
    engine.dispose()
