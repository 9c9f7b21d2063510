"""A month's calendar of daily lists, on both engines: each day's count of visible papers, or why it
has none (weekend, arXiv holiday, not harvested yet, announced later, or simply no papers), in
whole Monday-to-Sunday weeks."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Engine, update

from paperwire.db.engine import session_scope
from paperwire.db.models import Paper
from paperwire.papers.calendar import month_calendar
from paperwire.papers.periods import parse_month
from paperwire.papers.records import EntryRecord, PaperRecord
from paperwire.papers.store import upsert_papers


def _paper(number: int, day: date) -> PaperRecord:
    return PaperRecord(
        id=f"2609.{number:05d}",
        arxiv_id=f"2609.{number:05d}",
        title=f"Paper {number}",
        source="arxiv",
        abstract="An abstract.",
        authors=["Ada Lovelace"],
        published_at=datetime(2026, 9, 1),
        entry=EntryRecord(list_date=day, source="hf", submitted_at=datetime(2026, 9, 1, 8)),
    )


def test_each_day_has_its_count_or_the_reason_it_has_none(engine: Engine) -> None:
    days = [date(2026, 9, 1)] * 3 + [date(2026, 9, 2), date(2026, 9, 9), date(2026, 8, 31)]
    with session_scope(engine) as session:
        upsert_papers(session, [_paper(i, day) for i, day in enumerate(days)])
        session.execute(update(Paper).where(Paper.id == "2609.00003").values(hidden=True))
    with session_scope(engine) as session:
        calendar = month_calendar(session, parse_month("2026-09"), today=date(2026, 9, 20))
    weeks = calendar.weeks
    assert [w.week.key for w in weeks] == [f"2026-W{n}" for n in range(36, 41)]
    cells = {d.day: d for w in weeks for d in w.days}
    assert min(cells) == date(2026, 8, 31) and max(cells) == date(2026, 10, 4)
    assert (cells[date(2026, 9, 1)].kind, cells[date(2026, 9, 1)].count) == ("list", 3)
    assert cells[date(2026, 8, 31)].count == 1 and not cells[date(2026, 8, 31)].in_month
    hidden_only = cells[date(2026, 9, 2)]  # its one paper is hidden
    assert (hidden_only.kind, hidden_only.reason) == ("none", "no papers")
    assert cells[date(2026, 9, 5)].kind == "weekend"
    assert cells[date(2026, 9, 8)].reason == "Labor Day: no arXiv announcement"
    assert (cells[date(2026, 9, 15)].kind, cells[date(2026, 9, 15)].reason) == (
        "pending",
        "not harvested yet",
    )  # after the latest list (9 September)
    assert cells[date(2026, 9, 22)].kind == "future"
    assert calendar.latest == date(2026, 9, 9)
    assert (calendar.previous.key, calendar.next.key) == ("2026-08", "2026-10")  # type: ignore[union-attr]
