"""When arXiv announces new papers, and why a day has no daily list.

arXiv announces Sunday to Thursday at 20:00 US Eastern time, which is after midnight UTC: the
papers announced on a Sunday evening are "new" on Monday, so a daily list dated ``day`` (UTC) holds
the announcement of the evening before. Nothing is announced on Friday and Saturday evenings (no
list on Saturdays and Sundays) nor on arXiv's holidays (no list on the day after one).

The holidays come from arXiv's published schedule, "On Deferred Mailings" in
https://info.arxiv.org/help/availability.html (source: github.com/arXiv/arxiv-docs,
source/help/availability.md). arXiv observes the US holidays of Cornell University: New Year's Day,
Martin Luther King Jr. Day, Juneteenth, Independence Day, Labor Day, Thanksgiving and Christmas
(its 2023 list, the last one this table was checked against offline, has exactly these, plus two
ad-hoc days). The 2025-2027 dates below are those holidays on the days they are observed; compare
them with the page when arXiv publishes a year's list, and add ad-hoc closures the same way. A day
missing from the table only loses its explanation: the harvest itself never depends on it.
"""

from __future__ import annotations

from datetime import date, timedelta

# The announcement that arXiv skips (its own date, US Eastern time) and the holiday's name.
HOLIDAYS: dict[date, str] = {
    date(2025, 1, 1): "New Year's Day",
    date(2025, 1, 20): "Martin Luther King Jr. Day",
    date(2025, 6, 19): "Juneteenth",
    date(2025, 7, 4): "Independence Day",
    date(2025, 9, 1): "Labor Day",
    date(2025, 11, 27): "Thanksgiving Day",
    date(2025, 12, 25): "Christmas Day",
    date(2026, 1, 1): "New Year's Day",
    date(2026, 1, 19): "Martin Luther King Jr. Day",
    date(2026, 6, 19): "Juneteenth",
    date(2026, 7, 3): "Independence Day (observed)",
    date(2026, 9, 7): "Labor Day",
    date(2026, 11, 26): "Thanksgiving Day",
    date(2026, 12, 25): "Christmas Day",
    date(2027, 1, 1): "New Year's Day",
    date(2027, 1, 18): "Martin Luther King Jr. Day",
    date(2027, 6, 18): "Juneteenth (observed)",
    date(2027, 7, 5): "Independence Day (observed)",
    date(2027, 9, 6): "Labor Day",
    date(2027, 11, 25): "Thanksgiving Day",
    date(2027, 12, 24): "Christmas Day (observed)",
}


def holiday(evening: date) -> str | None:
    """The name of arXiv's holiday on ``evening`` (US Eastern time), or None."""
    return HOLIDAYS.get(evening)


def announces(evening: date) -> bool:
    """Whether arXiv announces on the evening of ``evening`` (US Eastern time): Sunday to
    Thursday, holidays excepted."""
    return evening.weekday() not in (4, 5) and evening not in HOLIDAYS


def has_list(day: date) -> bool:
    """Whether arXiv has new papers dated ``day`` (UTC): the announcement of the evening before."""
    return announces(day - timedelta(days=1))


def no_list_reason(day: date) -> str | None:
    """Why arXiv has no new papers dated ``day``, in a sentence; None on an announcement day."""
    if day.weekday() >= 5:
        return "arXiv announces nothing on Saturdays and Sundays, so there is no list for this day."
    evening = day - timedelta(days=1)
    name = holiday(evening)
    if name is None:
        return None
    return (
        f"arXiv announces nothing on {name} ({evening:%A} {evening.day} {evening:%B %Y},"
        " US Eastern time), so there is no list the day after."
    )
