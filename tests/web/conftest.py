"""Fixtures for the web pages: a served instance with the sample papers, or an empty one."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from paperwire.db.engine import make_engine
from paperwire.db.migrate import upgrade
from tests.conftest import TEST_SECRET
from tests.web.chromium import CHROMIUM, CHROMIUM_ARGS
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


@pytest.fixture
def browser() -> Iterator[Any]:
    """Headless Chromium (Debian's), one per test. Without it the test fails, never skips."""
    if not Path(CHROMIUM).is_file():
        pytest.fail(
            f"no Chromium at {CHROMIUM}: the browser tests need Debian's chromium"
            " (scripts/test.sh installs it as root: apt-get install chromium)",
            pytrace=False,
        )
    from playwright import sync_api

    with sync_api.sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def sqlite_env(tmp_path: Path) -> Iterator[tuple[Engine, dict[str, str]]]:
    """A migrated SQLite file and the environment of a process bound to it. The browser sees the
    same pages on PostgreSQL (the HTTP tests cover both), so the browser tests run once."""
    url = f"sqlite:///{tmp_path / 'paperwire.db'}"
    engine = make_engine(url)
    upgrade(engine)
    env = {
        **os.environ,
        "PAPERWIRE_HOME": str(tmp_path / "home"),
        "PAPERWIRE_DATABASE_URL": url,
        "PAPERWIRE_SECRET_KEY": TEST_SECRET,
    }
    yield engine, env
    engine.dispose()
