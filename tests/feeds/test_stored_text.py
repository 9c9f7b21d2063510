"""What is already stored can never break a feed or an export: a paper stored directly in the
database (before ingest screened for them) with characters XML 1.0 cannot hold still gives valid
Atom, BibTeX, Markdown and JSON lines, on both engines."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime

import feedparser
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from paperwire.config import load_settings
from paperwire.db.engine import session_scope
from paperwire.papers.records import EntryRecord, PaperRecord
from paperwire.papers.store import upsert_papers
from paperwire.web.app import create_app

PAPER = "2405.00002"


def _control_text(engine: Engine) -> str:
    # PostgreSQL text cannot hold NUL at all (the reason ingest rejects it); SQLite can.
    nul = "" if engine.dialect.name == "postgresql" else "\x00"
    return f"Bro{nul}ken\x01 \x1b title\ufffe"


@pytest.fixture
def http(engine: Engine, env: dict[str, str]) -> Iterator[TestClient]:
    bad = _control_text(engine)
    now = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    record = PaperRecord(
        id=PAPER,
        arxiv_id=PAPER,
        title=bad,
        source="hf",
        abstract=f"An abstract {bad}.",
        authors=[f"Ann {bad}"],
        categories=["cs.CL", f"cs{bad}"],
        journal_ref=bad,
        published_at=now,
        entry=EntryRecord(list_date=now.date(), source="hf", submitted_at=now),
    )
    with session_scope(engine) as session:
        upsert_papers(session, [record])
    with TestClient(create_app(load_settings())) as client:
        yield client


@pytest.mark.parametrize("path", ["/daily.atom", "/papers/trending.atom"])
def test_feeds_stay_valid_atom(http: TestClient, path: str) -> None:
    response = http.get(path)
    assert response.status_code == 200
    feed = feedparser.parse(response.content)
    assert not feed.bozo, feed.get("bozo_exception")
    [entry] = feed.entries
    assert entry.title == "Broken title"
    assert entry.link.endswith(f"/papers/{PAPER}")


def test_exports_drop_the_characters(http: TestClient) -> None:
    for path in ("/daily.bib", f"/papers/{PAPER}.bib"):
        response = http.get(path)
        assert response.status_code == 200
        assert "{Broken title}" in response.text
        assert not any(ch in response.text for ch in "\x00\x01\ufffe")
    markdown = http.get(f"/papers/{PAPER}.md")
    assert markdown.status_code == 200 and "# Bro" in markdown.text
    lines = http.get("/daily.jsonl")
    assert lines.status_code == 200
    assert json.loads(lines.text.splitlines()[0])["id"] == PAPER


@pytest.mark.parametrize("query", ["%01", "%00", "%EF%BF%BE", "Broken%01+title"])
def test_a_search_feed_for_control_characters_is_refused_not_broken(
    http: TestClient, query: str
) -> None:
    # The input check at the boundary refuses the query, naming it; the feed never answers 500.
    response = http.get(f"/search.atom?q={query}")
    assert response.status_code == 422
    assert "q" in response.text


def test_a_search_feed_over_stored_control_characters_is_valid_atom(http: TestClient) -> None:
    response = http.get("/search.atom?q=Broken+title")
    assert response.status_code == 200
    feed = feedparser.parse(response.content)
    assert not feed.bozo, feed.get("bozo_exception")
