"""Issue 14's acceptance in headless Chromium against a real ``paperwire serve``: from a paper page
to an author page, follow the author, see the paper under "followed" on the daily page (and not a
paper the author is not on); claim the page, a moderator approves the claim at /moderation, and the
badge appears, with the HF-shaped API reporting the author's ``user`` and ``status``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine

from paperwire.authors.index import sync_authors
from tests.web.members import PASSWORD, add_member
from tests.web.served import Site, load_sample, start_site


@pytest.fixture
def authors_site(sqlite_env: tuple[Engine, dict[str, str]], tmp_path: Path) -> Iterator[Site]:
    engine, env = sqlite_env
    load_sample(engine)
    sync_authors(engine)
    add_member(engine, "ada")
    add_member(engine, "mod", "moderator")
    with start_site(env, tmp_path / "serve.log") as running:
        yield running


def _sign_in(browser: Any, site: Site, name: str) -> Any:
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.goto(site.url + "/login")
    page.get_by_label("User name or e-mail address").fill(name)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    return page


def test_author_page_follow_followed_filter_claim_and_badge(
    browser: Any, authors_site: Site
) -> None:
    from playwright.sync_api import expect  # a test dependency: missing, the test fails

    site = authors_site
    page = _sign_in(browser, site, "ada")
    page.goto(site.url + "/papers/2406.00001")
    page.locator(".author-list").get_by_role("link", name="Author 2").click()
    page.wait_for_url(site.url + "/authors/author-2")
    expect(page.locator("h1")).to_contain_text("Author 2")
    expect(page.locator(".cards")).to_contain_text("Alpha")
    page.get_by_role("button", name="Follow").click()
    expect(page.get_by_role("button", name="Unfollow")).to_be_visible()

    page.goto(site.url + "/papers/date/2026-06-05")
    page.get_by_role("link", name="followed").click()
    page.wait_for_url(site.url + "/papers/date/2026-06-05?show=followed")
    cards = page.locator(".cards")
    expect(cards).to_contain_text("Alpha")
    expect(cards).to_contain_text("Beta")
    expect(cards).not_to_contain_text("Gamma")  # by Author 1 alone

    page.goto(site.url + "/authors/author-2")
    page.get_by_role("button", name="This is me: claim this page").click()
    expect(page.locator("#claim")).to_contain_text("waits for a moderator")

    moderator = _sign_in(browser, site, "mod")
    moderator.goto(site.url + "/moderation")
    claims = moderator.locator("#claims-author-2")
    expect(claims).to_contain_text("ada")
    claims.get_by_role("button", name="Approve").click()
    expect(moderator.locator("#claims-title")).to_contain_text("(0)")

    page.goto(site.url + "/authors/author-2")
    expect(page.locator(".claimed-badge")).to_contain_text("claimed by ada")
    author = httpx.get(site.url + "/api/papers/2406.00001", timeout=30).json()["authors"][1]
    assert author["name"] == "Author 2" and author["status"] == "claimed_verified"
    assert author["user"]["user"] == "ada"
