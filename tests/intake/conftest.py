"""Fixtures of the intake tests: settings bound to the test's database, and the replay endpoints."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, delete

from paperwire.config import Settings
from paperwire.db.engine import make_engine
from paperwire.db.migrate import upgrade
from paperwire.db.models import DailyEntry, IntakeCandidate, IntakeSource, Paper
from paperwire.intake.config import SourceConfig, parse_source
from tests.conftest import TEST_SECRET
from tests.intake.replay import OaiRecord, oai_records
from tests.recording import LOCAL


@pytest.fixture
def reply(recording_server: Any) -> Any:
    return type(recording_server).route.__globals__["Reply"]


@pytest.fixture(scope="session")
def records(shared_data: Path) -> list[OaiRecord]:
    return oai_records(shared_data)


def make_settings(database_url: str, home: Path, sources: list[dict[str, Any]]) -> Settings:
    return Settings(
        home=home,
        database_url=database_url,
        secret_key=TEST_SECRET,
        contact="ops@lab.example",
        fetch_allow_private=LOCAL,
        config_file="paperwire.toml",
        extra={"sources": sources},
    )


def source(**raw: Any) -> SourceConfig:
    defaults = {"min_interval": "0s", "retries": 1, "backoff": "0.05s", "timeout": "3s"}
    return parse_source({**defaults, **raw}, "paperwire.toml", 0)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def module_db(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, Engine]]:
    """One migrated database per engine for a whole module (a migration per test costs more than
    the tests); ``db`` empties it before each test."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('intake') / 'paperwire.db'}"
        engine = make_engine(url)
        upgrade(engine)
    else:
        url = request.getfixturevalue("pg_server_url")
        engine = make_engine(url)
    yield url, engine
    engine.dispose()


@pytest.fixture
def db(module_db: tuple[str, Engine]) -> tuple[str, Engine]:
    """The module's database, emptied of everything a harvest writes."""
    url, engine = module_db
    with engine.begin() as conn:
        for table in (DailyEntry, IntakeCandidate, Paper, IntakeSource):
            conn.execute(delete(table))
    return url, engine
