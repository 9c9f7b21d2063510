"""The ``/api/daily_papers`` data path in process, for an A/B of two revisions: one day's 50 papers
ranked, loaded and serialised to the Hugging Face JSON shape, 300 times, on 5,000 synthetic papers
in a fresh SQLite file. Prints the median and p90 and the body size (equal bodies across revisions
show the JSON did not change).

    PYTHONPATH=<checkout of revision A> .venv/bin/python bench/listing_ab.py
    PYTHONPATH=<checkout of revision B> .venv/bin/python bench/listing_ab.py

Run them alternately, twice each: the machine is shared and a single run is noisy.
"""

from __future__ import annotations

import importlib
import statistics
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

from sqlalchemy.orm import Session

from paperwire.db.engine import make_engine, session_scope
from paperwire.db.migrate import upgrade
from paperwire.papers.listing import daily_papers
from paperwire.papers.records import EntryRecord, PaperRecord
from paperwire.papers.store import upsert_papers

FIRST_DAY = date(2026, 6, 1)
PAPERS = 5000
DAYS = 20
CALLS = 300


def _schemas() -> object:
    # The API moved into the web package: find its schemas wherever this revision keeps them.
    try:
        return importlib.import_module("paperwire.web.api.schemas")
    except ImportError:
        return importlib.import_module("paperwire.api.schemas")


def _records() -> list[PaperRecord]:
    return [
        PaperRecord(
            id=f"2606.{i:05d}",
            arxiv_id=f"2606.{i:05d}",
            version=1,
            title=f"Title {i} about graphs",
            source="bench",
            abstract="word " * 200,
            authors=[f"Author {j}" for j in range(8)],
            categories=["cs.LG", "cs.CL"],
            published_at=datetime(2026, 6, 1),
            links=[{"kind": "code", "url": f"https://github.com/a/{i}"}],
            extras={"github_repo": f"https://github.com/a/{i}", "ai_keywords": ["a", "b"]},
            upvotes_baseline=i % 50,
            entry=EntryRecord(
                list_date=FIRST_DAY + timedelta(days=i % DAYS),
                source="hf",
                submitted_at=datetime(2026, 6, 1, 9),
                submitter_name="ak",
            ),
        )
        for i in range(PAPERS)
    ]


def main() -> None:
    folder = Path(tempfile.mkdtemp())
    engine = make_engine(f"sqlite:///{folder / 'bench.db'}")
    upgrade(engine)
    with session_scope(engine) as session:
        upsert_papers(session, _records())
    daily_json = _schemas().daily_json  # type: ignore[attr-defined]
    times, body = [], b""
    for call in range(CALLS):
        day = FIRST_DAY + timedelta(days=call % DAYS)
        start = time.perf_counter()
        with Session(engine) as session:
            body = daily_json(daily_papers(session, period=(day, day), limit=50)).body
        times.append(time.perf_counter() - start)
    times.sort()
    print(
        f"median {statistics.median(times) * 1000:.2f} ms  p90 {times[int(CALLS * 0.9)] * 1000:.2f} ms"
        f"  ({len(body):,} bytes a page)"
    )


if __name__ == "__main__":
    main()
