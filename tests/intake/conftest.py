"""Fixtures of the intake tests: settings bound to the test's database, and the replay endpoints."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from paperwire.config import Settings
from paperwire.intake.config import SourceConfig, parse_source
from tests.conftest import TEST_SECRET
from tests.intake.replay import OaiRecord, oai_records


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
        config_file="paperwire.toml",
        extra={"sources": sources},
    )


def source(**raw: Any) -> SourceConfig:
    defaults = {"min_interval": "0s", "retries": 1, "backoff": "0.05s", "timeout": "3s"}
    return parse_source({**defaults, **raw}, "paperwire.toml", 0)
