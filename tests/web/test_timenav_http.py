"""The time navigation as HTML, on both engines: the Daily / Weekly / Monthly tabs with the current
one marked, the previous and next lists by their human names, the calendar's days (a count, or why
there is none; a hidden paper counts for nothing), and the calendar's jump forms."""

from __future__ import annotations

import re

from tests.web.served import Site


def _tabs(html: str) -> dict[str, bool]:
    bar = html[
        html.index('class="period-tabs"') : html.index("</nav>", html.index('class="period-tabs"'))
    ]
    return {
        m.group(2): bool(m.group(1))
        for m in re.finditer(r'<a href="[^"]+"( aria-current="page")?>(\w+)</a>', bar)
    }


def test_tabs_labels_and_calendar(site: Site) -> None:
    day = site.get("/papers/date/2026-06-05").text
    assert _tabs(day) == {"Daily": True, "Weekly": False, "Monthly": False}
    assert 'href="/papers/week/2026-W23"' in day and 'href="/papers/month/2026-06"' in day
    assert '<span class="nav-long">Mon 8 Jun 2026</span>' in day  # the next list, by its name
    assert 'aria-label="Friday 5 June 2026: 3 papers"' in day and 'aria-current="date"' in day
    # Saturday's only paper is hidden: the day has no list, and says why.
    assert '6<span class="visually-hidden">: weekend: arXiv announces nothing</span>' in day
    assert '9<span class="visually-hidden">: not harvested yet</span>' in day

    week = site.get("/papers/week/2026-W24").text
    assert _tabs(week) == {"Daily": False, "Weekly": True, "Monthly": False}
    assert '<span class="nav-long">Week 23 \N{MIDDLE DOT} 1\N{EN DASH}7 Jun 2026</span>' in week
    month = site.get("/papers/month/2026-06").text
    assert _tabs(month) == {"Daily": False, "Weekly": False, "Monthly": True}
    assert 'href="/papers/date/2026-06-08">Daily</a>' in month  # the month's latest list


def test_the_calendar_forms_jump_to_a_list(site: Site) -> None:
    for query, target in (
        ("date=2026-06-05", "/papers/date/2026-06-05"),
        ("week=2026-W23", "/papers/week/2026-W23"),
        ("month=2026-06", "/papers/month/2026-06"),
    ):
        answer = site.get(f"/papers/go?{query}", follow_redirects=False)
        assert (answer.status_code, answer.headers["location"]) == (303, target)
    for query in ("date=2026-02-30", "week=2026-W60", "", "month=June"):
        assert site.get(f"/papers/go?{query}", follow_redirects=False).status_code == 400, query
