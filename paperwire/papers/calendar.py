"""A month's calendar of daily lists, for the time navigation of the list pages: each day with its
number of papers, or why it has no list (a weekend or an arXiv holiday, ``papers.arxiv_calendar``;
a day after the latest harvested list; or simply no papers). Read-only, one query."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from sqlalchemy.orm import Session

from paperwire.papers.arxiv_calendar import holiday
from paperwire.papers.daily import day_counts, latest_list_date
from paperwire.papers.periods import FIRST_DAY, LAST_DAY, Period, week_of

DayKind = Literal["list", "weekend", "holiday", "pending", "future", "none"]


@dataclass(frozen=True)
class CalendarDay:
    day: date
    count: int
    kind: DayKind
    # Why there is no list, in a few words ("weekend", "Juneteenth: no arXiv announcement"); None
    # for a day with papers.
    reason: str | None
    in_month: bool


@dataclass(frozen=True)
class CalendarWeek:
    week: Period
    days: tuple[CalendarDay, ...]


@dataclass(frozen=True)
class MonthCalendar:
    month: Period
    weeks: tuple[CalendarWeek, ...]
    previous: Period | None
    next: Period | None
    latest: date | None


def _why_not(day: date, latest: date | None, today: date) -> tuple[DayKind, str]:
    """Why ``day`` has no papers."""
    if day.weekday() >= 5:
        return "weekend", "weekend: arXiv announces nothing"
    name = holiday(day - timedelta(days=1))
    if name is not None:
        return "holiday", f"{name}: no arXiv announcement"
    if day > today:
        return "future", "not announced yet"
    if latest is None or day > latest:
        return "pending", "not harvested yet"
    return "none", "no papers"


def month_calendar(session: Session, month: Period, today: date) -> MonthCalendar:
    """The calendar of ``month``: whole weeks, Monday to Sunday, with the days of the neighbouring
    months that complete them."""
    first = week_of(month.start).start
    last = week_of(month.end).end
    counts = {c.day: c.count for c in day_counts(session, first, last)}
    latest = latest_list_date(session)
    weeks = []
    start = first
    while start <= last:
        days = []
        for offset in range(7):
            day = start + timedelta(days=offset)
            count = counts.get(day, 0)
            inside = month.start <= day <= month.end
            if count:
                days.append(CalendarDay(day, count, "list", None, inside))
            else:
                kind, reason = _why_not(day, latest, today)
                days.append(CalendarDay(day, 0, kind, reason, inside))
        weeks.append(CalendarWeek(week_of(start), tuple(days)))
        start += timedelta(days=7)
    return MonthCalendar(
        month=month,
        weeks=tuple(weeks),
        previous=month.shifted(-1) if month.start > FIRST_DAY else None,
        next=month.shifted(1) if month.end < LAST_DAY else None,
        latest=latest,
    )
