"""One served instance per database, loaded with recorded Hugging Face lists, shared by every test
of this folder (ingest and indexing take most of the time)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import delete, select

from paperwire.accounts.tokens import create_token
from paperwire.db.engine import make_engine, session_scope
from paperwire.db.migrate import upgrade
from paperwire.db.models import User
from paperwire.papers.votes import all_voted, retract_vote
from tests.api.hf_data import Recorded, environment, hf_site, recorded_items
from tests.conftest import _truncate_pg
from tests.web.members import add_member
from tests.web.served import Site

DATABASES: dict[str, str] = {}  # a loaded site's address -> its database URL


@pytest.fixture(scope="package", params=["sqlite", "postgresql"])
def loaded_site(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, shared_data: Path
) -> Iterator[Site]:
    folder = tmp_path_factory.mktemp("hf-site")
    if request.param == "sqlite":
        url = f"sqlite:///{folder / 'paperwire.db'}"
    else:
        url = request.getfixturevalue("pg_server_url")
    engine = make_engine(url)
    if request.param == "sqlite":
        upgrade(engine)
    else:
        _truncate_pg(engine)
    engine.dispose()
    env = environment(url, folder / "home", PAPERWIRE_API_RATE_LIMIT="0")
    with hf_site(env, shared_data, folder) as site:
        DATABASES[site.url] = url
        yield site


@pytest.fixture
def member_token(loaded_site: Site) -> Iterator[str]:
    """An API token of a new member of the loaded site, made in its database as the settings page
    would. Afterwards their votes are taken back and the member goes with all else they did
    (comments, collections: the foreign keys cascade), so the site stays as recorded for the
    other tests of this folder."""
    engine = make_engine(DATABASES[loaded_site.url])
    add_member(engine, "fuzzer")
    with session_scope(engine) as session:
        member = session.scalars(select(User).where(User.username == "fuzzer")).one()
        secret = create_token(session, member, "schemathesis").secret
    try:
        yield secret
    finally:
        with session_scope(engine) as session:
            member = session.scalars(select(User).where(User.username == "fuzzer")).one()
            # Through the service: a paper keeps its vote count, which a cascade would not lower.
            for paper_id in all_voted(session, member.id):
                retract_vote(session, member.id, paper_id)
            session.execute(delete(User).where(User.id == member.id))
        engine.dispose()


@pytest.fixture(scope="package")
def recording(shared_data: Path) -> dict[str, Recorded]:
    return recorded_items(shared_data)
