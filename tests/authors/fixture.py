"""The real author lists of ``tests/fixtures/data/authors/papers.jsonl`` (see its README), stored
as papers of daily lists and indexed by author."""

from __future__ import annotations

import json
from datetime import date, datetime

from sqlalchemy import Engine

from paperwire.authors.index import sync_authors
from paperwire.db.engine import session_scope
from paperwire.papers.records import EntryRecord, PaperRecord
from paperwire.papers.store import upsert_papers
from tests.conftest import FIXTURE_DATA

PAPERS = FIXTURE_DATA / "authors" / "papers.jsonl"


def records() -> list[PaperRecord]:
    found = []
    for line in PAPERS.read_text(encoding="utf-8").splitlines():
        item = json.loads(line)
        day = date.fromisoformat(item["published"])
        found.append(
            PaperRecord(
                id=item["id"],
                arxiv_id=item["id"],
                version=1,
                title=item["title"],
                source="test",
                abstract=item["abstract"],
                authors=item["authors"],
                categories=item["categories"],
                published_at=datetime(day.year, day.month, day.day, 12),
                entry=EntryRecord(
                    list_date=day,
                    source="test",
                    submitted_at=datetime(day.year, day.month, day.day, 13),
                    submitter_name="ak",
                ),
            )
        )
    return found


def load(engine: Engine) -> None:
    with session_scope(engine) as session:
        upsert_papers(session, records())
    sync_authors(engine)
