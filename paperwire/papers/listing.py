"""Lists of papers for the JSON API, feeds and exports: a period's daily list (date, ISO week or
month), one submitter's papers, or trending. Ranking reads ids only; the papers come from the read
model's one loader.

Periods filter on the day a paper entered its daily list. Ordering ``published`` is newest list
first and, within a day, most upvoted first (the order of the day's page); ``trending`` uses the
one score of ``papers.trending``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, or_, select
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


def _first_date_needed(session: Session, count: int) -> date | None:
    """The newest list date such that the lists from it onwards hold ``count`` entries: sorting
    only those dates spares sorting every paper for the first pages of the whole archive."""
    per_day = session.execute(
        select(DailyEntry.list_date, func.count())
        .group_by(DailyEntry.list_date)
        .order_by(DailyEntry.list_date.desc())
    )
    total = 0
    for day, entries in per_day:
        total += entries
        if total >= count:
            return day
    return None


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
    stmt = _ranking(period, submitter)
    if sort == "publishedAt":
        order = (DailyEntry.list_date.desc(), UPVOTES.desc(), DailyEntry.submitted_at, Paper.id)
        window = stmt.order_by(*order).limit(limit).offset(page * limit)
        since = _first_date_needed(session, (page + 1) * limit) if period is None else None
        ids = list(session.scalars(window.where(DailyEntry.list_date >= since))) if since else []
        if len(ids) < limit:  # hidden papers or a submitter filter thinned the recent dates
            ids = list(session.scalars(window))
        return load_papers(session, ids)
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
