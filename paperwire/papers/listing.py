"""Lists of papers for the JSON API, feeds and exports: a period's daily list (date, ISO week or
month), one submitter's papers, or trending. Ranking reads ids only; the papers come from the read
model's one loader.

Periods filter on the day a paper entered its daily list. Ordering ``published`` is newest list
first and, within a day, most upvoted first (the order of the day's page); ``trending`` uses the
one score of ``papers.trending``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, or_, select, true
from sqlalchemy.orm import Session

from paperwire.db.models import DailyEntry, Paper, User
from paperwire.errors import DateOutOfRange, UsageError
from paperwire.papers.periods import Period, in_range, parse_month, parse_week
from paperwire.papers.readmodel import UPVOTES, PaperView, load_papers
from paperwire.papers.records import now_utc
from paperwire.papers.trending import trending, trending_score

SORTS = ("publishedAt", "trending")
DateRange = tuple[date, date]
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def parse_period(day: str | None, week: str | None, month: str | None) -> DateRange | None:
    """The first and last list dates named by at most one of a date (YYYY-MM-DD), an ISO week
    (YYYY-Www) or a month (YYYY-MM); None when none is given. ``UsageError`` names the bad one."""
    given = [name for name, v in (("date", day), ("week", week), ("month", month)) if v]
    if len(given) > 1:
        raise UsageError(f"give only one of date, week and month, not {' and '.join(given)}")
    if week:
        return _named("week", week, parse_week)
    if month:
        return _named("month", month, parse_month)
    if day:
        try:
            one = date.fromisoformat(day) if _DATE.match(day) else None
        except ValueError:
            one = None
        if one is None:
            raise UsageError(f"date: “{day}” is not a real date (YYYY-MM-DD)")
        try:
            in_range(one, day)
        except DateOutOfRange as exc:
            raise DateOutOfRange(f"date: {exc}") from None
        return one, one
    return None


def _named(what: str, text: str, parse: Callable[[str], Period]) -> DateRange:
    try:
        period = parse(text)
    except (UsageError, DateOutOfRange) as exc:
        raise type(exc)(f"{what}: {exc}") from None
    return period.start, period.end


def _ranking(period: DateRange | None, submitter: str | None) -> Any:
    """The narrow rows (id, upvotes, list date, submitted) that ordering needs: ranking reads
    these, and only the page's papers are read whole (abstracts and all) afterwards."""
    stmt = (
        select(Paper.id, UPVOTES, DailyEntry.list_date, DailyEntry.submitted_at)
        .join(DailyEntry, DailyEntry.paper_id == Paper.id)
        .where(Paper.hidden.is_(False))
    )
    if period is not None:
        stmt = stmt.where(DailyEntry.list_date.between(*period))
    if submitter:
        named = select(User.id).where(User.username == submitter).scalar_subquery()
        stmt = stmt.where(
            or_(DailyEntry.submitter_name == submitter, DailyEntry.submitted_by_id == named)
        )
    return stmt


# Newest list first and, within a day, most upvoted first (the order of the day's page).
PUBLISHED = (DailyEntry.list_date.desc(), UPVOTES.desc(), DailyEntry.submitted_at, Paper.id)
# Entries per list date (read from ``ix_daily_entries_list_date`` alone), and the hidden ones
# among them (through the partial ``ix_papers_hidden``: few, usually none).
_ENTRIES_PER_DAY = (
    select(DailyEntry.list_date, func.count())
    .group_by(DailyEntry.list_date)
    .order_by(DailyEntry.list_date.desc())
)
_HIDDEN_PER_DAY = (
    select(DailyEntry.list_date, func.count())
    # from the hidden papers to their entries (a join was planned the other way round, reading
    # every entry); ``= true`` as ``ix_papers_hidden`` says it, or it is not used
    .where(DailyEntry.paper_id.in_(select(Paper.id).where(Paper.hidden == true())))
    .group_by(DailyEntry.list_date)
)


def _visible_per_day(session: Session, period: DateRange | None) -> Iterator[tuple[date, int]]:
    """The number of visible papers of each list date (of ``period``) with any, newest first,
    read as iterated: the first pages stop after the newest dates instead of counting them all."""
    entries, hidden = _ENTRIES_PER_DAY, _HIDDEN_PER_DAY
    if period is not None:
        entries = entries.where(DailyEntry.list_date.between(*period))
        hidden = hidden.where(DailyEntry.list_date.between(*period))
    gone: dict[date, int] = {day: count for day, count in session.execute(hidden)}
    rows = session.connection().execute(entries)  # Core: rows read as iterated, not all at once
    try:
        for day, count in rows:
            if count > gone.get(day, 0):
                yield day, count - gone.get(day, 0)
    finally:
        rows.close()


def _published_page(
    session: Session, period: DateRange | None, offset: int, limit: int
) -> list[str]:
    """The ids of ``limit`` visible papers from ``offset`` on in the published order. The dates
    the page spans are found from each date's number of visible papers, and only their entries
    are sorted: page 900 of the whole archive costs what page 0 does (an offset sorted every
    entry of the dates before it, 0.4-1.5 s at 100,000 papers)."""
    seen = 0  # visible papers on the dates newer than ``day``
    newest = oldest = None
    skip = 0
    for day, count in _visible_per_day(session, period):
        if newest is None:
            if seen + count <= offset:
                seen += count
                continue
            newest, skip = day, offset - seen
        oldest = day
        seen += count
        if seen >= offset + limit:
            break
    if newest is None or oldest is None:  # past the end
        return []
    window = _ranking((oldest, newest), None).order_by(*PUBLISHED).limit(limit).offset(skip)
    return list(session.scalars(window))


def daily_papers(
    session: Session,
    *,
    period: DateRange | None = None,
    submitter: str | None = None,
    sort: str = "publishedAt",
    page: int = 0,
    limit: int = 50,
    now: datetime | None = None,
) -> list[PaperView]:
    """Page ``page`` (from 0) of the visible daily-list papers of ``period`` (all dates when None),
    optionally only those ``submitter`` (a user name) put there, in ``sort`` order."""
    if sort not in SORTS:
        raise UsageError(f"sort must be one of {', '.join(SORTS)}, not {sort!r}")
    if sort == "trending" and period is None and submitter is None:
        ranked = trending(session, now=now, limit=limit, offset=page * limit)
        return [item.card for item in ranked]
    if sort == "publishedAt" and not submitter:
        return load_papers(session, _published_page(session, period, page * limit, limit))
    stmt = _ranking(period, submitter)
    if sort == "publishedAt":
        window = stmt.order_by(*PUBLISHED).limit(limit).offset(page * limit)
        return load_papers(session, list(session.scalars(window)))
    at = now or now_utc()
    rows = session.execute(stmt).all()
    scored = sorted(
        rows,
        key=lambda row: (
            -trending_score(row.upvotes or 0, row.submitted_at, at),
            -(row.upvotes or 0),
            row.id,
        ),
    )
    return load_papers(session, [row.id for row in scored[page * limit : (page + 1) * limit]])
