"""arXiv's announcement calendar: a list dated ``day`` (UTC) holds the announcement of the evening
before (US Eastern time), none on Friday and Saturday evenings nor on arXiv's holidays."""

from __future__ import annotations

from datetime import date, timedelta

from paperwire.papers import arxiv_calendar


def test_weekends_and_the_day_after_a_holiday_have_no_list() -> None:
    # The week of Thanksgiving 2025: Monday to Thursday have lists (Thursday's is Wednesday
    # evening's announcement), Friday's would be Thanksgiving evening's, the weekend has none.
    week = [date(2025, 11, 24) + timedelta(days=i) for i in range(7)]
    assert [arxiv_calendar.has_list(day) for day in week] == [
        True,
        True,
        True,
        True,
        False,
        False,
        False,
    ]
    assert arxiv_calendar.has_list(date(2025, 12, 1))  # Monday: Sunday evening's announcement


def test_the_reason_names_the_holiday() -> None:
    reason = arxiv_calendar.no_list_reason(date(2025, 11, 28))
    assert reason is not None
    assert reason.startswith("arXiv announces nothing on Thanksgiving Day (Thursday 27 November")
    assert "Saturdays and Sundays" in (arxiv_calendar.no_list_reason(date(2025, 11, 29)) or "")
    assert arxiv_calendar.no_list_reason(date(2025, 11, 27)) is None


def test_the_table_holds_the_holidays_of_2025_to_2027() -> None:
    years = {day.year for day in arxiv_calendar.HOLIDAYS}
    assert years == {2025, 2026, 2027}
    for day, name in arxiv_calendar.HOLIDAYS.items():
        assert day.weekday() < 5, (day, name)  # observed on a weekday
        assert arxiv_calendar.holiday(day) == name and not arxiv_calendar.announces(day)
    christmas = [d for d, n in arxiv_calendar.HOLIDAYS.items() if n.startswith("Christmas")]
    assert len(christmas) == 3
