"""Browsing in headless Chromium against a real ``paperwire serve``: days, weeks, months, trending,
search from the header, the paper page with rendered (and inert) TeX, a member submitting a paper
(arXiv played by the local recording server) and keeping it in a collection, and a 375-px-wide
phone layout that never scrolls sideways. Screenshots go to test-artifacts/screenshots/."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from paperwire.db.engine import session_scope
from paperwire.papers.records import EntryRecord, PaperRecord
from paperwire.papers.store import upsert_papers
from tests.recording import ALLOW_LOCAL, RecordingServer
from tests.web.chromium import OUT
from tests.web.members import PASSWORD, add_member
from tests.web.recorded_arxiv import serve_recorded_arxiv
from tests.web.served import Site, load_sample, start_site

HOSTILE_TEX_ID = "2406.00007"
HOSTILE_TEX_TITLE = (
    "Eta: $\\href{javascript:window.pwned=1}{click}$ and "
    '$<img src=x onerror="window.pwned=2">$ with a real $\\frac{a}{b}$'
)


@pytest.fixture
def browse_site(
    sqlite_env: tuple[Engine, dict[str, str]],
    tmp_path: Path,
    recording_server: RecordingServer,
    shared_data: Path,
) -> Iterator[Site]:
    engine, env = sqlite_env
    arxiv_url = serve_recorded_arxiv(recording_server, shared_data)
    env = {**env, **ALLOW_LOCAL, "PAPERWIRE_ARXIV_API_URL": arxiv_url}
    add_member(engine, "ada")
    load_sample(engine)
    hostile = PaperRecord(
        id=HOSTILE_TEX_ID,
        arxiv_id=HOSTILE_TEX_ID,
        version=1,
        title=HOSTILE_TEX_TITLE,
        source="test",
        abstract="We bound $\\sum_{i=1}^{n} x_i^2 \\le \\epsilon$ and $<script>window.pwned=3</script>$.",
        authors=["Eta Author"],
        published_at=datetime(2026, 6, 1),
        upvotes_baseline=7,
        entry=EntryRecord(
            list_date=date(2026, 6, 8), source="test", submitted_at=datetime(2026, 6, 8, 10)
        ),
    )
    with session_scope(engine) as session:
        upsert_papers(session, [hostile])
    OUT.mkdir(parents=True, exist_ok=True)
    with start_site(env, tmp_path / "serve.log") as running:
        yield running


def _no_sideways_scroll(page: Any, what: str) -> None:
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"{what} scrolls sideways by {overflow}px"


def test_browse_days_weeks_months_and_trending(browser: Any, browse_site: Site) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(browse_site.url + "/")
    assert "Monday 8 June 2026" in page.locator(".day-title").inner_text()
    page.get_by_role("link", name="Week 24 of 2026").click()
    assert page.url.endswith("/papers/week/2026-W24")
    assert page.locator("h1").inner_text() == "Papers of Week 24 of 2026"
    page.get_by_role(
        "link", name="Previous week with papers: Week 23 · 1\N{EN DASH}7 Jun 2026"
    ).click()
    assert page.url.endswith("/papers/week/2026-W23")
    assert page.locator(".cards > li").count() == 3
    page.screenshot(path=str(OUT / "week-1280.png"), full_page=True)
    page.get_by_role("link", name="5 Jun 2026").click()
    assert page.url.endswith("/papers/date/2026-06-05")
    page.get_by_role("link", name="June 2026").click()
    assert page.locator("h1").inner_text() == "Papers of June 2026"
    assert page.locator(".cards > li").count() == 5
    page.screenshot(path=str(OUT / "month-1280.png"), full_page=True)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Trending").click()
    assert page.url.endswith("/papers/trending")
    assert "to the power 1.5" in page.locator(".trending-explanation").inner_text()
    first = page.locator(".cards > li").first.locator(".card-title").inner_text()
    assert first.startswith("Epsilon")
    page.screenshot(path=str(OUT / "trending-1280.png"), full_page=True)
    page.close()


def test_search_from_the_header(browser: Any, browse_site: Site) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(browse_site.url + "/papers/trending")
    page.get_by_label("Search papers").fill("old-style identifier")
    page.get_by_label("Search papers").press("Enter")
    page.wait_for_url("**/search?q=old-style+identifier*")
    assert page.locator("#q").input_value() == "old-style identifier"
    page.close()


def test_maths_is_rendered_and_hostile_text_stays_inert(browser: Any, browse_site: Site) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(browse_site.url + f"/papers/{HOSTILE_TEX_ID}")
    page.wait_for_selector("h1 .tex-rendered .katex")
    title = page.locator("h1")
    # The real fraction is typeset; the hostile spans are shown, not obeyed.
    assert title.locator(".katex .mfrac").count() == 1
    assert page.locator("h1 img, .abstract img, .abstract script").count() == 0
    assert page.locator("a[href^='javascript']").count() == 0
    for span in title.locator(".tex-rendered").all():
        span.click()
    assert page.evaluate("window.pwned") is None
    assert not dialogs
    assert page.locator(".abstract .tex-rendered .katex").count() == 2
    # Similar papers arrive after the page (by words: this instance has no embeddings), their
    # titles' markup shown as text too.
    page.wait_for_selector("section.similar .similar-results")
    similar = page.locator("section.similar")
    assert "No similar papers found yet" not in similar.inner_text()
    assert "<i>all</i>" in similar.inner_text()
    assert similar.locator(f"a[href$='/papers/{HOSTILE_TEX_ID}']").count() == 0
    assert similar.locator("i, script, img").count() == 0
    # The hostile abstract of 2406.00005 too: its <script> is text, its maths rendered.
    page.goto(browse_site.url + "/papers/2406.00005")
    page.wait_for_selector(".abstract .tex-rendered")
    assert '<script>alert("pwned")</script>' in page.locator(".abstract").inner_text()
    assert page.evaluate("window.pwned") is None and not dialogs
    page.screenshot(path=str(OUT / "paper-tex-1280.png"), full_page=True)
    page.close()


def test_phone_layout_never_scrolls_sideways(browser: Any, browse_site: Site) -> None:
    page = browser.new_page(viewport={"width": 375, "height": 800})
    for name, path in (
        ("week", "/papers/week/2026-W23"),
        ("month", "/papers/month/2026-06"),
        ("trending", "/papers/trending"),
        ("paper-tex", f"/papers/{HOSTILE_TEX_ID}"),
        ("home", "/"),
    ):
        response = page.goto(browse_site.url + path)
        assert response is not None and response.ok, path
        page.wait_for_load_state("load")
        _no_sideways_scroll(page, f"{path} at 375px")
        page.screenshot(path=str(OUT / f"{name}-375.png"), full_page=True)
    # The skip link is the first stop of the keyboard and is visible when focused.
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent")
    assert focused == "Skip to content"
    page.close()


def test_a_member_submits_a_paper_and_keeps_it_in_a_collection(
    browser: Any, browse_site: Site
) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(browse_site.url + "/submit")
    assert "/login" in page.url  # visitors sign in first, then come back
    page.get_by_label("User name or e-mail address").fill("ada")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/submit")
    page.get_by_label("arXiv id or link").fill("https://arxiv.org/pdf/2104.12255v1.pdf")
    page.get_by_role("button", name="Submit", exact=True).click()
    result = page.locator("#submit-result")
    assert "is now in the daily list of" in result.inner_text()
    page.screenshot(path=str(OUT / "submit-1280.png"), full_page=True)
    result.get_by_role("link").first.click()
    page.wait_for_url("**/papers/2104.12255")
    title = page.locator("h1").inner_text()
    page.get_by_label("New collection with this paper").fill("Reading group")
    page.get_by_role("button", name="Create and add").click()
    page.wait_for_url("**/papers/2104.12255#collections")
    assert "In your collection: Reading group" in page.locator("#collections").inner_text()
    page.locator("#collections").get_by_role("link", name="Reading group").click()
    page.wait_for_url("**/collections/ada/reading-group")
    assert page.locator("h1").inner_text() == "Reading group"
    assert page.locator(".cards .card-title").first.inner_text() == title
    page.screenshot(path=str(OUT / "collection-1280.png"), full_page=True)
    page.set_viewport_size({"width": 375, "height": 800})
    for name, path in (("collection", page.url), ("submit", browse_site.url + "/submit")):
        page.goto(path)
        _no_sideways_scroll(page, f"{path} at 375px")
        page.screenshot(path=str(OUT / f"{name}-375.png"), full_page=True)
    page.close()
