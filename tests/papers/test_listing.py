"""Pages of the daily lists (each page sorts only the dates it spans, found from each date's
number of visible papers) are exactly the pages of the one ordering, hidden papers left out, on
both engines."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

from sqlalchemy import Engine, update

from paperwire.db.engine import session_scope
from paperwire.db.models import Paper
from paperwire.papers.listing import daily_papers
from paperwire.papers.records import EntryRecord, PaperRecord
from paperwire.papers.store import upsert_papers

FIRST = date(2026, 3, 2)


def _records() -> list[PaperRecord]:
    rng = random.Random(3)
    records = []
    for i in range(180):
        day = FIRST + timedelta(days=rng.randrange(9))
        records.append(
            PaperRecord(
                id=f"2603.{i:05d}",
                arxiv_id=f"2603.{i:05d}",
                title=f"Paper {i}",
                source="arxiv",
                abstract=f"Abstract of paper {i}.",
                authors=["Ada Lovelace"],
                categories=["cs.CL"],
                published_at=datetime(2026, 3, 1),
                upvotes_baseline=rng.randrange(6),  # ties, broken by time and id
                entry=EntryRecord(
                    list_date=day,
                    source="hf",
                    submitted_at=datetime(day.year, day.month, day.day, 8, rng.randrange(3)),
                ),
            )
        )
    return records


def test_every_page_is_the_page_of_the_whole_ordering(engine: Engine) -> None:
    records = _records()
    # every 7th paper, and the whole list of one date (a date with no visible paper)
    empty_day = FIRST + timedelta(days=4)
    hidden = {r.id for r in records[::7]}
    hidden |= {r.id for r in records if r.entry is not None and r.entry.list_date == empty_day}
    with session_scope(engine) as session:
        upsert_papers(session, records)
        session.execute(update(Paper).where(Paper.id.in_(hidden)).values(hidden=True))
    visible = [r for r in records if r.id not in hidden]

    def key(r: PaperRecord) -> tuple[int, int, datetime, str]:
        assert r.entry is not None and r.entry.submitted_at is not None
        return (-r.entry.list_date.toordinal(), -r.upvotes_baseline, r.entry.submitted_at, r.id)

    week = (FIRST + timedelta(days=2), FIRST + timedelta(days=6))
    for period in (None, week):
        want = [
            r.id
            for r in sorted(visible, key=key)
            if period is None or period[0] <= r.entry.list_date <= period[1]  # type: ignore[union-attr]
        ]
        for limit in (7, 25, 50):
            with session_scope(engine) as session:
                pages = [
                    [p.id for p in daily_papers(session, period=period, page=n, limit=limit)]
                    for n in range(len(want) // limit + 2)
                ]
            assert [pid for page in pages for pid in page] == want, (period, limit)
            assert all(len(page) == limit for page in pages[: len(want) // limit])
            assert pages[-1] == []
