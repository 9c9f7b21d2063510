"""Fixtures for the digest tests: an SMTP server process, papers in the search index, subscribers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from paperwire.config import load_settings
from paperwire.db.engine import session_scope
from paperwire.papers.records import PaperRecord
from paperwire.papers.store import upsert_papers
from paperwire.search import index, service
from tests.digests.support import BASE_URL, PAPERS
from tests.mail.smtp_sink import SmtpSink, smtp_sink


@pytest.fixture
def smtp(tmp_path: Path) -> Iterator[SmtpSink]:
    with smtp_sink(tmp_path / "mailbox") as sink:
        yield sink


@pytest.fixture
def mail_env(
    env: dict[str, str], smtp: SmtpSink, monkeypatch: pytest.MonkeyPatch
) -> dict[str, str]:
    """The test's environment, with mail going to the SMTP server process."""
    monkeypatch.setenv("PAPERWIRE_SMTP_URL", smtp.url)
    monkeypatch.setenv("PAPERWIRE_BASE_URL", BASE_URL)
    monkeypatch.setenv("PAPERWIRE_COMMUNITY", "Test Lab")
    return {**env, "PAPERWIRE_SMTP_URL": smtp.url, "PAPERWIRE_BASE_URL": BASE_URL}


@pytest.fixture
def papers(engine: Engine, mail_env: dict[str, str]) -> list[PaperRecord]:
    with session_scope(engine) as session:
        upsert_papers(session, PAPERS)
    service.forget_searchers()
    index.sync(load_settings(), engine, embed=False)
    service.forget_searchers()
    return PAPERS
