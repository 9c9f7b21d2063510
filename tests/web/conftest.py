"""Fixtures for the web pages: a served instance with the sample papers, or an empty one."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from tests.web.served import Site, load_sample, start_site


@pytest.fixture
def site(engine: Engine, env: dict[str, str], tmp_path: Path) -> Iterator[Site]:
    """A served instance with ``sample_papers`` loaded."""
    load_sample(engine)
    with start_site(env, tmp_path / "serve.log") as running:
        yield running


@pytest.fixture
def empty_site(env: dict[str, str], tmp_path: Path) -> Iterator[Site]:
    """A served instance with an empty database."""
    with start_site(env, tmp_path / "serve.log") as running:
        yield running
