"""Issue 20's reading surface in headless Chromium (Debian's) against a real ``paperwire serve``
holding a recorded Hugging Face list (really embedded), at 1280 and 375 px, light and dark
(``prefers-color-scheme`` emulated): thumbnails in a fixed box, a paper's and a list's links,
for-you grouped with reasons inside cards and the member's picks apart, replies with TeX rendered,
and honest search states. One browser for the module; screenshots go to
test-artifacts/screenshots/cards-*.png."""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from tests.api.hf_data import _run
from tests.conftest import FIXTURE_DATA
from tests.web.chromium import OUT
from tests.web.members import PASSWORD, add_member
from tests.web.served import Site, start_site

LIST = FIXTURE_DATA / "hf_daily_papers" / "daily_papers_2026-06-10.json"
DAY = "/papers/date/2026-06-10"
VIEWS = [(1280, 900, "light"), (1280, 900, "dark"), (375, 812, "light"), (375, 812, "dark")]
THUMBS = "https://cdn-thumbnails.huggingface.co/**"


def _png(width: int = 64, height: int = 36) -> bytes:
    """A small real PNG, what the thumbnail host answers in the test (the machine is offline)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\x00" + b"\x44\x55\xcc" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


@pytest.fixture
def cards_site(sqlite_env: tuple[Engine, dict[str, str]], tmp_path: Path) -> Iterator[Site]:
    engine, env = sqlite_env
    _run(env, "ingest", "hf", "--file", str(LIST))
    _run(env, "index")
    add_member(engine, "reader")
    OUT.mkdir(parents=True, exist_ok=True)
    with start_site(env, tmp_path / "serve.log") as running:
        yield running


def _context(browser: Any, width: int, height: int, scheme: str) -> Any:
    context = browser.new_context(viewport={"width": width, "height": height}, color_scheme=scheme)
    image = _png()
    context.route(
        THUMBS, lambda route: route.fulfill(status=200, content_type="image/png", body=image)
    )
    return context


def _sign_in(context: Any, site: Site) -> Any:
    page = context.new_page()
    page.goto(site.url + "/login?next=/for-you")
    page.get_by_label("User name or e-mail").fill("reader")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(site.url + "/for-you")
    return page


def _no_sideways_scroll(page: Any, width: int) -> None:
    assert page.evaluate("document.scrollingElement.scrollWidth") <= width, page.url


def _check_cards(page: Any, site: Site, width: int) -> None:
    from playwright.sync_api import expect

    page.goto(site.url + DAY)
    thumb = page.locator("a.card-thumb").first
    expect(thumb).to_be_visible()
    box = thumb.bounding_box()
    assert box and abs(box["height"] - box["width"] * 9 / 16) < 2  # the fixed 16:9 box
    img = thumb.locator("img")
    assert img.get_attribute("loading") == "lazy"
    # Every picture of a card is its thumbnail (a card without one has none: the HTTP test).
    assert page.locator("article.card img").count() == page.locator("a.card-thumb img").count()
    # The box is fixed: the title below a thumbnail stays put while pictures arrive.
    second = page.locator("article.card .card-title").nth(1)
    # Where the title sits on the page (not in the viewport, which scrolling moves).
    place = "el => { const r = el.getBoundingClientRect(); return [r.left + scrollX, r.top + scrollY, r.width, r.height]; }"
    before = second.evaluate(place)
    page.mouse.wheel(0, 4000)
    page.wait_for_timeout(300)
    page.mouse.wheel(0, -4000)
    page.wait_for_function("document.querySelector('a.card-thumb img').complete")
    assert second.evaluate(place) == before
    feed = page.locator("p.feed-link a").first
    expect(feed).to_be_visible()
    assert page.locator('head link[rel="alternate"]').get_attribute("href") == feed.get_attribute(
        "href"
    )
    _no_sideways_scroll(page, width)


def _check_paper(page: Any, site: Site, paper_path: str) -> None:
    from playwright.sync_api import expect

    page.goto(site.url + paper_path)
    links = page.locator("nav.export-links")
    for label in ("BibTeX", "Markdown", "JSON"):
        expect(links.get_by_role("link", name=label)).to_be_visible()


def _check_search(page: Any, site: Site, width: int) -> None:
    from playwright.sync_api import expect

    page.goto(site.url + "/search?q=qwerty+zzxxyy&mode=semantic")
    expect(page.locator(".search-note").first).to_contain_text("No papers match")
    assert page.locator("ol.search-results").count() == 0
    page.goto(site.url + "/search?q=image&cat=astro-ph.GA")
    expect(page.locator(".search-note").first).to_contain_text("category astro-ph.GA removed")
    page.goto(site.url + "/search?q=image&page=999")
    back = page.get_by_role("link", name="Go to the last page")
    expect(back).to_be_visible()
    back.click()
    expect(page.locator("ol.search-results li").first).to_be_visible()
    _no_sideways_scroll(page, width)


def test_cards_for_you_comments_and_search_states(browser: Any, cards_site: Site) -> None:
    from playwright.sync_api import expect

    site = cards_site
    desktop = _context(browser, 1280, 900, "light")
    page = _sign_in(desktop, site)
    # For you: grouped controls, the current period marked, the reading budget.
    tabs = page.locator(".period-tabs")
    expect(tabs.locator('[aria-current="page"]')).to_have_text("Day")
    tabs.get_by_role("link", name="Week").click()
    expect(tabs.locator('[aria-current="page"]')).to_have_text("Week")
    week_url = page.url
    expect(page.locator("h2.foryou-budget")).to_contain_text("Top 10 for you this week")
    assert page.locator("ol.foryou").first.locator("> li.foryou-item").count() == 10
    first = page.locator("li.foryou-item").first
    # The reason and both buttons are inside the paper's own card.
    card = first.locator("article.card")
    expect(card.locator(".foryou-reason")).to_be_visible()
    expect(card.get_by_role("button", name="More like this")).to_be_visible()
    expect(card.get_by_role("button", name="Not interested")).to_be_visible()
    picked = first.get_attribute("data-paper")
    card.get_by_title("Upvote this paper").click()
    expect(card.get_by_title("Take back your upvote")).to_be_visible()
    # Adding a topic keeps the week.
    page.locator(".foryou-topics-box").evaluate("box => { box.open = true; }")
    page.get_by_label("Topics in a few words").fill("image denoising")
    page.get_by_role("button", name="Use these").click()
    page.wait_for_url(week_url)
    expect(tabs.locator('[aria-current="page"]')).to_have_text("Week")
    assert picked not in [
        li.get_attribute("data-paper") for li in page.locator("li.foryou-item").all()
    ]
    expect(page.locator(f'.foryou-picks [data-paper="{picked}"]')).to_have_count(1)

    # Comments: a comment with TeX, a reply under it, both rendered.
    paper_path = f"/papers/{picked}"
    page.goto(site.url + paper_path)
    page.get_by_label("Add a comment").fill("Is the bound $\\alpha^2 + \\beta_1$ tight?")
    page.get_by_role("button", name="Post comment").click()
    top = page.locator("ol.comments > li.comment").first
    expect(top.locator(".comment-body .katex")).to_be_visible()
    top.locator(".comment-reply-box > summary").click()
    top.get_by_label("Your reply to reader").fill("Yes, see $\\S 4$.")
    top.get_by_role("button", name="Post reply").click()
    reply = page.locator("ol.comment-replies > li.comment-reply").first
    expect(reply).to_contain_text("Yes, see")
    expect(reply.locator(".katex")).to_be_visible()
    page.goto(site.url + DAY)
    count = page.locator(f'a[href="{paper_path}#discussion"]').first
    expect(count).to_have_text("2 comments")
    desktop.close()

    for width, height, scheme in VIEWS:
        context = _context(browser, width, height, scheme)
        page = _sign_in(context, site)
        name = f"{width}-{scheme}"
        page.goto(week_url)
        _no_sideways_scroll(page, width)
        page.screenshot(path=str(OUT / f"cards-foryou-{name}.png"))
        _check_cards(page, site, width)
        page.screenshot(path=str(OUT / f"cards-day-{name}.png"))
        _check_paper(page, site, paper_path)
        page.locator("#discussion").scroll_into_view_if_needed()
        page.screenshot(path=str(OUT / f"cards-paper-{name}.png"))
        _check_search(page, site, width)
        page.goto(site.url + "/search?q=image&cat=astro-ph.GA")
        page.screenshot(path=str(OUT / f"cards-search-{name}.png"))
        context.close()
