"""Weeks and months of daily lists: parsing ``YYYY-Www`` (ISO weeks) and ``YYYY-MM`` from URLs and
the API, the dates a period covers, and its neighbours; and the span of dates paperwire accepts
anywhere (``FIRST_DAY`` to ``LAST_DAY``), so that no date, week or month a visitor names can reach
the edges of Python's calendar (9999-12-31 plus a day is an ``OverflowError``). Nothing here
touches the database."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from paperwire.errors import DateOutOfRange, UsageError

PeriodKind = Literal["week", "month"]

_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
DASH = "\N{EN DASH}"

# Wide enough for any paper (arXiv began in 1991) and any daily list, far from year 1 and 9999.
FIRST_DAY = date(1900, 1, 1)
LAST_DAY = date(2999, 12, 31)
SPAN = f"paperwire's dates run from {FIRST_DAY.isoformat()} to {LAST_DAY.isoformat()}"
# The same span as a JSON Schema pattern of ``YYYY-MM-DD`` (the API documents it with the format).
DATE_PATTERN = r"^(19\d\d|2\d\d\d)-\d\d-\d\d$"
WEEK_PATTERN = r"^(19\d\d|2\d\d\d)-W(0[1-9]|[1-4]\d|5[0-3])$"
MONTH_PATTERN = r"^(19\d\d|2\d\d\d)-(0[1-9]|1[0-2])$"


def in_range(day: date, text: str | None = None) -> date:
    """``day`` when it lies between ``FIRST_DAY`` and ``LAST_DAY``; ``DateOutOfRange`` otherwise."""
    if not FIRST_DAY <= day <= LAST_DAY:
        raise DateOutOfRange(f"{text or day.isoformat()} is out of range: {SPAN}.")
    return day


def _year_in_range(year: int, text: str) -> None:
    if not FIRST_DAY.year <= year <= LAST_DAY.year:
        raise DateOutOfRange(f"{text} is out of range: {SPAN}.")


@dataclass(frozen=True)
class Period:
    """A week (Monday to Sunday, ISO numbering) or a calendar month; ``end`` is inclusive."""

    kind: PeriodKind
    start: date
    end: date

    @property
    def key(self) -> str:
        """``2026-W23`` or ``2026-06``: the form used in URLs."""
        if self.kind == "week":
            year, week, _ = self.start.isocalendar()
            return f"{year}-W{week:02d}"
        return f"{self.start.year}-{self.start.month:02d}"

    @property
    def title(self) -> str:
        """``Week 23 of 2026`` or ``June 2026``."""
        if self.kind == "week":
            year, week, _ = self.start.isocalendar()
            return f"Week {week} of {year}"
        return f"{self.start:%B %Y}"

    @property
    def span(self) -> str:
        """``1-7 June 2026`` with an en dash (a week's dates, shortest form); a month names itself."""
        if self.kind == "month":
            return self.title
        start, end = self.start, self.end
        if start.year != end.year:
            return f"{start.day} {start:%B %Y} {DASH} {end.day} {end:%B %Y}"
        if start.month != end.month:
            return f"{start.day} {start:%B} {DASH} {end.day} {end:%B %Y}"
        return f"{start.day}{DASH}{end.day} {end:%B %Y}"

    @property
    def label(self) -> str:
        """``Week 26 · 22-28 Jun 2026`` (an en dash) or ``June 2026``: a period's name on the previous and next
        links and the time navigation (abbreviated months, the week's dates)."""
        if self.kind == "month":
            return self.title
        return f"Week {self.start.isocalendar()[1]} \N{MIDDLE DOT} {self.short_span}"

    @property
    def short_label(self) -> str:
        """``Week 26`` or ``Jun 2026``: the same name where a phone has room for little."""
        if self.kind == "month":
            return f"{self.start:%b %Y}"
        return f"Week {self.start.isocalendar()[1]}"

    @property
    def short_span(self) -> str:
        """``22-28 Jun 2026``, ``29 Jun - 5 Jul 2026`` (en dashes): ``span`` with abbreviated months."""
        start, end = self.start, self.end
        if start.year != end.year:
            return f"{start.day} {start:%b %Y} {DASH} {end.day} {end:%b %Y}"
        if start.month != end.month:
            return f"{start.day} {start:%b} {DASH} {end.day} {end:%b %Y}"
        return f"{start.day}{DASH}{end.day} {end:%b %Y}"

    def shifted(self, step: int) -> Period:
        """The period of the same kind ``step`` weeks or months away (within paperwire's span)."""
        if self.kind == "week":
            return week_of(in_range(self.start + timedelta(days=7 * step)))
        index = self.start.year * 12 + self.start.month - 1 + step
        return month_of(in_range(date(index // 12, index % 12 + 1, 1)))

    def days(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range((self.end - self.start).days + 1)]


def week_of(day: date) -> Period:
    """The ISO week (Monday to Sunday) that contains ``day``."""
    start = day - timedelta(days=day.weekday())
    return Period("week", start, start + timedelta(days=6))


def month_of(day: date) -> Period:
    """The calendar month that contains ``day``."""
    start = day.replace(day=1)
    following = (start + timedelta(days=32)).replace(day=1)
    return Period("month", start, following - timedelta(days=1))


def period_of(kind: PeriodKind, day: date) -> Period:
    return week_of(day) if kind == "week" else month_of(day)


def parse_week(text: str) -> Period:
    """``2026-W23`` as a period; a ``UsageError`` naming the problem otherwise."""
    match = _WEEK.match(text)
    if not match:
        raise UsageError(f"“{text}” is not a week. Weeks look like 2026-W23 (YYYY-Www, ISO weeks).")
    year, week = int(match.group(1)), int(match.group(2))
    _year_in_range(year, text)
    try:
        start = date.fromisocalendar(year, week, 1)
    except ValueError:
        raise UsageError(f"{year} has no ISO week {week}.") from None
    return week_of(start)


def parse_month(text: str) -> Period:
    """``2026-06`` as a period; a ``UsageError`` naming the problem otherwise."""
    match = _MONTH.match(text)
    if not match:
        raise UsageError(f"“{text}” is not a month. Months look like 2026-06 (YYYY-MM).")
    year, month = int(match.group(1)), int(match.group(2))
    if not 1 <= month <= 12:
        raise UsageError(f"{text} is not a real month: months run from 01 to 12.")
    _year_in_range(year, text)
    return month_of(date(year, month, 1))
