"""Weeks and months as URLs name them: ISO weeks, calendar months, and clear errors."""

from __future__ import annotations

from datetime import date

import pytest

from paperwire.errors import UsageError
from paperwire.papers.periods import month_of, parse_month, parse_week, week_of


def test_iso_weeks_run_monday_to_sunday_across_years() -> None:
    week = parse_week("2026-W23")
    assert (week.start, week.end) == (date(2026, 6, 1), date(2026, 6, 7))
    assert week.key == "2026-W23" and week.title == "Week 23 of 2026"
    assert week.span == "1\N{EN DASH}7 June 2026"
    # ISO week 1 of 2026 starts in December 2025; 2026-W53 exists, 2025-W53 does not.
    first = parse_week("2026-W01")
    assert (
        first.start == date(2025, 12, 29)
        and first.span == "29 December 2025 \N{EN DASH} 4 January 2026"
    )
    assert parse_week("2026-W53").end == date(2027, 1, 3)
    assert week_of(date(2026, 6, 7)) == week and len(week.days()) == 7
    assert week_of(date(2027, 1, 1)).key == "2026-W53"


def test_months_know_their_length() -> None:
    february = parse_month("2028-02")
    assert (february.start, february.end) == (date(2028, 2, 1), date(2028, 2, 29))
    assert february.key == "2028-02" and february.title == "February 2028"
    assert month_of(date(2026, 12, 31)).end == date(2026, 12, 31)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2026-23", "Weeks look like 2026-W23"),
        ("2026-w23", "Weeks look like 2026-W23"),
        ("2025-W53", "2025 has no ISO week 53"),
        ("2026-W00", "2026 has no ISO week 0"),
        ("<script>", "is not a week"),
    ],
)
def test_bad_weeks_say_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        parse_week(text)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2026-13", "not a real month"),
        ("2026-00", "not a real month"),
        ("June", "Months look like"),
    ],
)
def test_bad_months_say_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        parse_month(text)
