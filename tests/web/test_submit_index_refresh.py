"""A submission whose search-index refresh fails: the paper is still listed, the failure is retried,
logged with the paper id and shown on ``/healthz``, and the next refresh that works clears it (the
real app through TestClient, which runs the refresh as the server does after the answer; a real
index file that is not a database; SQLite and PostgreSQL)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from paperwire.config import load_settings
from paperwire.db.models import DailyEntry
from paperwire.ingest import submit
from paperwire.search import index, service
from paperwire.search.service import search
from paperwire.web.app import create_app
from tests.search.search_data import add, paper
from tests.web.members import add_member, post_form


@pytest.fixture
def member(engine: Engine, env: dict[str, str]) -> Iterator[TestClient]:
    add_member(engine, "ada")
    # Stored but in no daily list: submitting them asks arXiv nothing.
    add(
        engine,
        paper("2606.00101", "Sparse autoencoders find features", "Dictionary learning."),
        paper("2606.00102", "Tokenizer-free language models", "Bytes all the way down."),
    )
    with TestClient(create_app(load_settings())) as client:
        answer = post_form(
            client, "/login", "/login", {"username": "ada", "password": "correct-horse-battery"}
        )
        assert answer.status_code in (200, 303), answer.text
        yield client
    service.forget_searchers()


def test_a_failed_refresh_is_retried_logged_and_shown_until_one_works(
    engine: Engine,
    member: TestClient,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(submit, "REFRESH_RETRY_DELAYS", (0.0,), raising=False)
    settings = load_settings()
    index.sync(settings, engine, embed=False)
    service.forget_searchers()
    lexical = index.index_dir(settings) / index.LEXICAL_FILE
    for extra in ("-wal", "-shm"):
        Path(f"{lexical}{extra}").unlink(missing_ok=True)
    lexical.write_bytes(b"this is not an SQLite database\n" * 200)
    with caplog.at_level(logging.WARNING, logger="paperwire.ingest.submit"):
        answer = post_form(member, "/submit", "/submit", {"paper": "2606.00101"})
    assert answer.status_code == 200 and "is now in the daily list of" in answer.text
    with engine.connect() as conn:
        assert conn.scalar(select(DailyEntry.paper_id).where(DailyEntry.paper_id == "2606.00101"))
    logged = [r.message for r in caplog.records if "not refreshed" in r.message]
    assert len(logged) == 2 and all("2606.00101" in m for m in logged), logged
    assert "DatabaseError" in logged[-1]
    health = member.get("/healthz")
    assert health.status_code == 200 and health.text.startswith("degraded\n")
    assert "index-refresh: " in health.text and "2606.00101" in health.text
    # The index file is repaired (removed: the refresh rebuilds it from the database).
    lexical.unlink()
    service.forget_searchers()
    answer = post_form(member, "/submit", "/submit", {"paper": "2606.00102"})
    assert answer.status_code == 200
    assert member.get("/healthz").text == "ok"
    found = search(settings, engine, "sparse autoencoders tokenizer-free", mode="lexical")
    assert {r.id for r in found.results} == {"2606.00101", "2606.00102"}
