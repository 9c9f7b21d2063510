"""The time navigation above every list (day, week, month): the Daily / Weekly / Monthly tabs, which
point at the day, week and month around the one shown, and the month's calendar
(``papers.calendar``). The bar is the same for every visitor, so its HTML is rendered once and kept
with the page cache's data: a member's page (built for each request) neither queries the calendar
again nor renders its 42 days."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

from fastapi import Request
from markupsafe import Markup
from sqlalchemy.orm import Session

from paperwire.papers.calendar import MonthCalendar, month_calendar
from paperwire.papers.periods import Period, month_of, week_of
from paperwire.papers.records import now_utc
from paperwire.web.pagecache import cached_data
from paperwire.web.templating import templates

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
) -> Markup:
    """The HTML of the navigation of a list of ``kind`` around ``day``; the calendar shows
    ``calendar_month`` (by default ``day``'s month)."""
    month = calendar_month or month_of(day)
    today = now_utc().date()

    def build() -> Markup:
        calendar = month_calendar(session, month, today)
        nav = TimeNav(kind, day, week_of(day), month_of(day), calendar, selected)
        return Markup(templates.env.get_template("_timenav.html").module.time_bar(nav))  # type: ignore[attr-defined]

    key = f"timebar:{kind}:{day.isoformat()}:{month.key}:{selected}:{today.isoformat()}"
    return cached_data(request, key, build)
