"""The time navigation above every list (day, week, month): the Daily / Weekly / Monthly tabs, which
point at the day, week and month around the one shown, and the month's calendar
(``papers.calendar``), kept with the page cache's data so that a member's page does not query it
again."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

from fastapi import Request
from sqlalchemy.orm import Session

from paperwire.papers.calendar import MonthCalendar, month_calendar
from paperwire.papers.periods import Period, month_of, week_of
from paperwire.papers.records import now_utc
from paperwire.web.pagecache import cached_data

NavKind = Literal["day", "week", "month"]


@dataclass(frozen=True)
class TimeNav:
    kind: NavKind
    day: date  # the day the Daily tab opens
    week: Period
    month: Period
    calendar: MonthCalendar
    selected: date | None  # the day shown, marked in the calendar


def time_nav(
    request: Request,
    session: Session,
    kind: NavKind,
    day: date,
    *,
    calendar_month: Period | None = None,
    selected: date | None = None,
) -> TimeNav:
    """The navigation of a list of ``kind`` around ``day``; the calendar shows ``calendar_month``
    (by default ``day``'s month)."""
    month = calendar_month or month_of(day)
    today = now_utc().date()
    calendar = cached_data(
        request,
        f"calendar:{month.key}:{today.isoformat()}",
        lambda: month_calendar(session, month, today),
    )
    return TimeNav(kind, day, week_of(day), month_of(day), calendar, selected)
