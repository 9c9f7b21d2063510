"""Daily lists, weeks and months: which papers, in which order, and the neighbouring dates.

Ranking reads ids only; the papers of a page come from the read model's one loader
(``papers.readmodel``). Hidden papers never appear. Dates "with papers" means dates with at least
one visible paper.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Select, bindparam, func, select
from sqlalchemy.orm import Session

from paperwire.db.models import DailyEntry, Paper
from paperwire.papers.periods import Period, period_of
from paperwire.papers.readmodel import UPVOTES, PaperView, load_papers
from paperwire.papers.views import DailyList, DayCount, PeriodList


def _visible_dates() -> Select[date]:
    return (
        select(DailyEntry.list_date)
        .join(Paper, Paper.id == DailyEntry.paper_id)
        .where(Paper.hidden.is_(False))
    )


def latest_list_date(session: Session) -> date | None:
    """The most recent date whose daily list has a visible paper, or None for an empty database."""
    return session.scalar(_visible_dates().order_by(DailyEntry.list_date.desc()).limit(1))


RANK = (UPVOTES.desc(), DailyEntry.submitted_at, Paper.id)
NO_LIMIT = 1_000_000_000

# The statements of the list pages, built once (building them per request showed in profiles).
_IN_DATES = DailyEntry.list_date.between(bindparam("first"), bindparam("last"))
# The ranking reads only ids and the count, so the sort never carries abstracts; the rows of the
# page are read by id afterwards.
_RANKED = (
    select(Paper.id, func.count().over().label("total"))
    .join(DailyEntry, DailyEntry.paper_id == Paper.id)
    .where(_IN_DATES, Paper.hidden.is_(False))
    .order_by(*RANK)
    .limit(bindparam("limit"))
    .offset(bindparam("offset"))
)
_COUNT = (
    select(func.count())
    .select_from(DailyEntry)
    .join(Paper, Paper.id == DailyEntry.paper_id)
    .where(_IN_DATES, Paper.hidden.is_(False))
)
_DAY_COUNTS = (
    select(DailyEntry.list_date, func.count())
    .join(Paper, Paper.id == DailyEntry.paper_id)
    .where(_IN_DATES, Paper.hidden.is_(False))
    .group_by(DailyEntry.list_date)
    .order_by(DailyEntry.list_date)
)
_PREVIOUS_DATE = (
    _visible_dates()
    .where(DailyEntry.list_date < bindparam("first"))
    .order_by(DailyEntry.list_date.desc())
    .limit(1)
)
_NEXT_DATE = (
    _visible_dates()
    .where(DailyEntry.list_date > bindparam("last"))
    .order_by(DailyEntry.list_date)
    .limit(1)
)


def cards_by_id(session: Session, paper_ids: list[str]) -> dict[str, PaperView]:
    """The views of these visible papers, by id (the read model's one loader)."""
    return {view.id: view for view in load_papers(session, paper_ids)}


def _page_of_cards(
    session: Session, first: date, last: date, limit: int | None, offset: int
) -> tuple[list[PaperView], int]:
    """One page of the visible papers of the daily lists from ``first`` to ``last``, most upvoted
    first (then earliest submitted), and how many there are in all."""
    dates = {"first": first, "last": last}
    ranked = session.execute(_RANKED, {**dates, "limit": limit or NO_LIMIT, "offset": offset}).all()
    cards = cards_by_id(session, [row.id for row in ranked])
    if ranked:
        total = int(ranked[0].total)
    else:  # an empty list, or a page past the end: count what there is
        total = int(session.scalar(_COUNT, dates) or 0) if offset else 0
    return [cards[row.id] for row in ranked if row.id in cards], total


def _neighbour_dates(session: Session, first: date, last: date) -> tuple[date | None, date | None]:
    """The nearest dates with visible papers before ``first`` and after ``last``."""
    previous_day = session.scalar(_PREVIOUS_DATE, {"first": first})
    next_day = session.scalar(_NEXT_DATE, {"last": last})
    return previous_day, next_day


def day_counts(session: Session, first: date, last: date) -> list[DayCount]:
    """The number of visible papers of each day from ``first`` to ``last`` that has any, in order."""
    rows = session.execute(_DAY_COUNTS, {"first": first, "last": last})
    return [DayCount(day=day, count=count) for day, count in rows]


def _pages(total: int, per_page: int | None) -> int:
    return max(1, -(-total // per_page)) if per_page else 1


def daily_list(
    session: Session, day: date, *, page: int = 1, per_page: int | None = None
) -> DailyList:
    """The visible papers of ``day``'s list, most upvoted first (then earliest submitted), with the
    nearest earlier and later dates that have papers. ``per_page`` (default: all) pages the list."""
    offset = (page - 1) * per_page if per_page else 0
    cards, total = _page_of_cards(session, day, day, per_page, offset)
    previous_day, next_day = _neighbour_dates(session, day, day)
    return DailyList(
        day=day,
        papers=cards,
        previous_day=previous_day,
        next_day=next_day,
        total=total,
        page=page,
        pages=_pages(total, per_page),
    )


def period_list(
    session: Session, period: Period, *, page: int = 1, per_page: int = 50
) -> PeriodList:
    """One page of the visible papers of every daily list in ``period``, most upvoted first, with
    the number of papers of each day and the nearest periods (of the same kind) that have papers."""
    counts = day_counts(session, period.start, period.end)
    total = sum(d.count for d in counts)
    pages = _pages(total, per_page)
    page = min(page, pages)
    offset = (page - 1) * per_page
    cards = _page_of_cards(session, period.start, period.end, per_page, offset)[0] if total else []
    previous_day, next_day = _neighbour_dates(session, period.start, period.end)
    return PeriodList(
        kind=period.kind,
        key=period.key,
        title=period.title,
        span=period.span,
        start=period.start,
        end=period.end,
        papers=cards,
        days=counts,
        total=total,
        page=page,
        pages=pages,
        previous=period_of(period.kind, previous_day).key if previous_day else None,
        next=period_of(period.kind, next_day).key if next_day else None,
    )
