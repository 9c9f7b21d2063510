"""For you (issue 20): a member's own picks (upvoted or collected) are never recommended back to
them, in the API, the page and the private feed alike, and are shown apart on the page; the period
is kept when topics are added; the page offers a reading budget first. Both engines."""

from __future__ import annotations

import re

import httpx

from tests.web.members import post_form, signed_in
from tests.web.served import Site

WEEK_DAY = "2026-06-10"
WEEK = f"/for-you?period=week&date={WEEK_DAY}"


def _ids(api: httpx.Client) -> list[str]:
    answer = api.get("/api/me/feed", params={"period": "week", "date": WEEK_DAY, "limit": "200"})
    assert answer.status_code == 200, answer.text
    return [item["paper"]["id"] for item in answer.json()]


def test_own_picks_are_not_recommended_back(loaded_site: Site, member_token: str) -> None:
    api = httpx.Client(
        base_url=loaded_site.url, headers={"Authorization": f"Bearer {member_token}"}, timeout=60
    )
    cold = _ids(api)
    upvoted, collected = cold[1], cold[2]
    browser = signed_in(loaded_site, "fuzzer")
    voted = post_form(browser, WEEK, f"/papers/{upvoted}/vote", {})
    assert voted.status_code == 303, voted.text
    made = api.post("/api/collections", json={"name": "Keep"})
    assert made.status_code == 201, made.text
    kept = api.put(f"/api/collections/{made.json()['id']}/papers/{collected}")
    assert kept.status_code in (200, 204), kept.text
    # Seeded by them, the ranking would put them first: they are the member's already.
    ranked = _ids(api)
    assert upvoted not in ranked and collected not in ranked
    assert len(ranked) == len(cold) - 2

    page = browser.get(WEEK).text
    picks = page.split('id="picks-title"', 1)
    assert len(picks) == 2, "the page shows no 'Your picks'"
    listed = re.findall(r'data-paper="([^"]+)"', picks[0])
    assert upvoted not in listed and collected not in listed
    assert f'data-paper="{upvoted}"' in picks[1] and f'data-paper="{collected}"' in picks[1]
    # The reading budget: ten first, the rest behind one disclosure.
    assert "Top 10 for you in " in page
    top = page.split('class="foryou-more"', 1)[0]
    assert top.count('class="foryou-item"') == 10

    made_feed = post_form(browser, "/for-you/signals", "/for-you/private-feed", {})
    secret_url = re.search(r'<code id="private-feed-url">([^<]+)</code>', made_feed.text)
    assert secret_url
    atom = httpx.get(loaded_site.url + httpx.URL(secret_url.group(1)).path, timeout=60).text
    assert f"/papers/{upvoted}" not in atom


def test_adding_topics_keeps_the_period(loaded_site: Site, member_token: str) -> None:
    browser = signed_in(loaded_site, "fuzzer")
    page = browser.get(WEEK).text
    assert 'class="period-tab is-current" href="/for-you?period=week' in page
    assert 'aria-current="page">Week</a>' in page
    added = post_form(browser, WEEK, "/for-you/topics", {"topics": "image denoising", "next": WEEK})
    assert added.status_code == 303
    assert added.headers["location"] == WEEK
    # The form itself carries where it was posted from.
    assert f'name="next" value="{WEEK.replace("&", "&amp;")}"' in page
