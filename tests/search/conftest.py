"""Fixtures for search tests: settings bound to the test's database, and a small corpus in it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from paperwire.config import Settings, load_settings
from paperwire.papers.records import PaperRecord
from paperwire.search import service
from tests.search.search_data import CORPUS, add


@pytest.fixture
def settings(env: dict[str, str]) -> Iterator[Settings]:
    """Settings bound to the test's database and a fresh home; cached searchers are dropped after."""
    yield load_settings()
    service.forget_searchers()


@pytest.fixture
def corpus(engine: Engine) -> list[PaperRecord]:
    add(engine, *CORPUS)
    return CORPUS
