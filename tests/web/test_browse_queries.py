"""The browsing queries read directly (both databases): paging, periods, and a small fixed number
of SQL statements per page however long the list is."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from paperwire.db.engine import session_scope
from paperwire.papers.daily import daily_list, period_list
from paperwire.papers.periods import parse_month, parse_week
from paperwire.papers.readmodel import load_paper
from paperwire.papers.records import EntryRecord, PaperRecord
from paperwire.papers.store import upsert_papers
from paperwire.papers.trending import trending
from tests.statements import counted

DAY = date(2026, 3, 10)


def _many(engine: Engine, count: int) -> None:
    records = [
        PaperRecord(
            id=f"2603.{i:05d}",
            arxiv_id=f"2603.{i:05d}",
            version=1,
            title=f"Paper {i}",
            source="test",
            abstract="An abstract.",
            authors=["A", "B"],
            upvotes_baseline=i,
            entry=EntryRecord(
                list_date=DAY + timedelta(days=i % 3),
                source="test",
                submitted_at=datetime(2026, 3, 10, 9) + timedelta(days=i % 3),
            ),
        )
        for i in range(1, count + 1)
    ]
    with session_scope(engine) as session:
        upsert_papers(session, records)


def test_a_long_day_is_paged_most_upvoted_first(engine: Engine) -> None:
    _many(engine, 120)
    with Session(engine) as session:
        first = daily_list(session, DAY, page=1, per_page=10)
        third = daily_list(session, DAY, page=3, per_page=10)
        whole = daily_list(session, DAY)
    assert first.total == 40 and first.pages == 4 and len(first.papers) == 10
    assert [c.upvotes for c in first.papers][:3] == [120, 117, 114]
    assert third.page == 3 and third.papers[0].upvotes == 120 - 3 * 20
    assert len(whole.papers) == 40 and whole.pages == 1
    assert first.next_day == DAY + timedelta(days=1) and first.previous_day is None


def test_weeks_and_months_count_days_and_page(engine: Engine) -> None:
    _many(engine, 90)
    with Session(engine) as session:
        week = period_list(session, parse_week("2026-W11"), page=2, per_page=25)
        month = period_list(session, parse_month("2026-03"), page=99, per_page=25)
        empty = period_list(session, parse_week("2026-W20"))
    assert week.total == 90 and week.pages == 4 and week.page == 2
    assert [(d.day.day, d.count) for d in week.days] == [(10, 30), (11, 30), (12, 30)]
    assert [c.upvotes for c in week.papers][:2] == [65, 64]
    assert month.page == 4 and len(month.papers) == 15
    assert empty.total == 0 and empty.previous == "2026-W11" and empty.next is None
    assert week.to_dict()["days"][0] == {"day": "2026-03-10", "count": 30}


def _statements_per_page(engine: Engine) -> dict[str, int]:
    pages = {
        "day": lambda session: daily_list(session, DAY, per_page=5),
        "month": lambda session: period_list(session, parse_month("2026-03"), per_page=5),
        "paper": lambda session: load_paper(session, "2603.00001"),
        "trending": lambda session: trending(session, limit=5),
    }
    counts = {}
    for name, page in pages.items():
        with Session(engine) as session, counted(engine) as statements:
            page(session)
        counts[name] = len(statements)
    return counts


def test_each_page_runs_a_fixed_small_number_of_queries(engine: Engine) -> None:
    _many(engine, 30)
    small = _statements_per_page(engine)
    _many(engine, 300)
    large = _statements_per_page(engine)
    assert small == large
    # rank, papers, comments, the days either side (+ the days of a period). A paper is the read
    # model's two statements (its row with its entry, and its comments).
    assert large == {"day": 5, "month": 6, "paper": 2, "trending": 4}
