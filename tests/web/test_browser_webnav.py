"""The morning page's navigation and design in Debian's Chromium, at 1280 and 375 px, light and
dark: the Daily / Weekly / Monthly tabs, human previous/next labels and the calendar (also without
JavaScript); the header's height on a phone; the one stylesheet (forms, tables, the account menu,
the theme toggle that remembers); the keyboard; /docs showing every operation; axe-core; no CDN
and the weight of a day's list. One browser and one served instance for the module; screenshots
go to test-artifacts/screenshots/webnav-*."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from paperwire.db.engine import make_engine, session_scope
from paperwire.db.migrate import upgrade
from paperwire.papers.store import upsert_papers
from tests.conftest import FIXTURE_DATA, TEST_SECRET
from tests.web.axe import serious_violations
from tests.web.chromium import CHROMIUM, CHROMIUM_ARGS, OUT
from tests.web.members import PASSWORD, add_member
from tests.web.served import Site, start_site
from tests.web.test_screenshots import _hf_records

VIEWS = [(1280, "light"), (1280, "dark"), (375, "light"), (375, "dark")]
DAYS = ("2026-04-20", "2026-04-21", "2026-04-22", "2026-04-23", "2026-04-24", "2026-04-27")
DAY = "2026-04-21"  # 31 papers: two pages


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    tmp = tmp_path_factory.mktemp("webnav")
    url = f"sqlite:///{tmp / 'paperwire.db'}"
    engine = make_engine(url)
    upgrade(engine)
    with session_scope(engine) as session:
        for day in ("2025-06-02", *DAYS):
            path = FIXTURE_DATA / "hf_daily_papers" / f"daily_papers_{day}.json"
            upsert_papers(session, _hf_records(path))
    add_member(engine, "ada", "admin")
    add_member(engine, "max")
    env = {
        **os.environ,
        "PAPERWIRE_HOME": str(tmp / "home"),
        "PAPERWIRE_DATABASE_URL": url,
        "PAPERWIRE_SECRET_KEY": TEST_SECRET,
    }
    _SESSIONS.clear()
    with start_site(env, tmp / "serve.log") as running:
        yield running
    engine.dispose()


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    if not Path(CHROMIUM).is_file():
        pytest.fail(f"no Chromium at {CHROMIUM}: the browser tests need Debian's chromium")
    from playwright import sync_api

    with sync_api.sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


def _page(chromium: Any, width: int, scheme: str, **options: Any) -> Any:
    context = chromium.new_context(
        viewport={"width": width, "height": 812 if width < 800 else 900},
        color_scheme=scheme,
        **options,
    )
    return context.new_page()


# Each member signs in through the form once for the module (sign-ins are rate limited per
# address); later pages reuse the session cookie.
_SESSIONS: dict[str, Any] = {}


def _sign_in(page: Any, site: Site, name: str) -> None:
    if name not in _SESSIONS:
        page.goto(site.url + "/login")
        page.fill("#login-username", name)
        page.fill("#login-password", PASSWORD)
        page.locator("main button[type=submit]").click()
        page.wait_for_url(site.url + "/")
        _SESSIONS[name] = page.context.cookies()
    else:
        page.context.add_cookies(_SESSIONS[name])
        page.goto(site.url + "/")


def _shot(page: Any, name: str, full: bool = False) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(OUT / f"webnav-{name}.png"), full_page=full)


def _sideways(page: Any) -> int:
    return int(
        page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    )


def _current_tab(page: Any) -> str:
    return str(page.locator(".period-tabs a[aria-current=page]").inner_text()).strip()


def test_tabs_labels_and_calendar(chromium: Any, site: Site) -> None:
    for width, scheme in VIEWS:
        page = _page(chromium, width, scheme)
        wide = width > 800
        page.goto(f"{site.url}/papers/date/{DAY}")
        assert _current_tab(page) == "Daily"
        previous, following = (
            page.locator("a.day-link.prev").first,
            page.locator("a.day-link.next").first,
        )
        assert ("Mon 20 Apr 2026" if wide else "20 Apr") in previous.inner_text()
        assert ("Wed 22 Apr 2026" if wide else "22 Apr") in following.inner_text()
        assert _sideways(page) <= 0
        _shot(page, f"day-{width}-{scheme}")

        page.get_by_role("link", name="Weekly", exact=True).click()
        assert page.url.endswith("/papers/week/2026-W17") and _current_tab(page) == "Weekly"
        if wide:  # the week's neighbours by their dates; the phone shows "Week 18"
            assert (
                "Week 18 · 27 Apr \N{EN DASH} 3 May 2026"
                in page.locator("a.day-link.next").first.inner_text()
            )
            assert (
                "Week 23 · 2\N{EN DASH}8 Jun 2025"
                in page.locator("a.day-link.prev").first.inner_text()
            )
        else:
            assert "Week 18" in page.locator("a.day-link.next").first.inner_text()
        _shot(page, f"week-{width}-{scheme}")

        page.get_by_role("link", name="Monthly", exact=True).click()
        assert page.url.endswith("/papers/month/2026-04") and _current_tab(page) == "Monthly"
        page.locator(".calendar summary").click()
        calendar = page.locator(".calendar-grid")
        assert calendar.is_visible()
        # A day with a list links to it with its count; the others say why they have none.
        day = calendar.get_by_role("link", name="Tuesday 21 April 2026: 31 papers")
        assert day.inner_text().split() == ["21", "31"]
        saturday = calendar.locator("[aria-disabled=true]", has_text="25")
        assert "weekend" in saturday.first.inner_text()
        assert (
            "not harvested yet"
            in calendar.locator("[aria-disabled=true]", has_text="28").first.inner_text()
        )
        assert _sideways(page) <= 0
        _shot(page, f"calendar-{width}-{scheme}")
        day.click()
        assert page.url.endswith(f"/papers/date/{DAY}")
        page.context.close()


def test_calendar_works_without_javascript(chromium: Any, site: Site) -> None:
    page = _page(chromium, 375, "light", java_script_enabled=False)
    page.goto(site.url + "/papers/month/2026-09")  # no papers: the bar is there all the same
    page.locator(".calendar summary").click()
    holiday = page.locator(".calendar-grid [aria-disabled=true]", has_text="Labor Day")
    assert "Labor Day: no arXiv announcement" in holiday.inner_text()  # Tuesday 8 September
    page.locator("input[name=week]").fill("2026-W17")
    page.locator("form:has(input[name=week]) button").click()
    assert page.url.endswith("/papers/week/2026-W17")
    assert _current_tab(page) == "Weekly"
    page.goto(site.url + "/papers/month/2026-04")
    page.locator(".calendar summary").click()
    page.locator("input[name=date]").fill("2026-04-22")
    page.locator("form:has(input[name=date]) button").click()
    assert page.url.endswith("/papers/date/2026-04-22")
    page.context.close()


def test_a_phone_sees_the_first_paper_without_scrolling(chromium: Any, site: Site) -> None:
    for scheme in ("light", "dark"):
        page = _page(chromium, 375, scheme)
        page.goto(site.url + "/")
        top = page.locator(".card-title").first.bounding_box()["y"]
        assert top <= 300, f"a visitor's first paper title starts at {top}px"
        _shot(page, f"home-visitor-375-{scheme}")
        _sign_in(page, site, "ada")
        top = page.locator(".card-title").first.bounding_box()["y"]
        assert top <= 360, f"a member's first paper title starts at {top}px"
        _shot(page, f"home-member-375-{scheme}")
        page.context.close()


def test_theme_toggle_remembers_the_choice(chromium: Any, site: Site) -> None:
    background = "getComputedStyle(document.body).backgroundColor"
    page = _page(chromium, 1280, "light")
    page.goto(site.url + "/subscribe")
    light = page.evaluate(background)
    toggle = page.locator("#theme-toggle")
    assert toggle.is_visible() and toggle.get_attribute("aria-pressed") == "false"
    toggle.click()
    assert page.evaluate("document.documentElement.dataset.theme") == "dark"
    dark = page.evaluate(background)
    assert dark != light
    page.goto(site.url + "/")  # another page: the choice is kept
    assert page.evaluate(background) == dark
    assert page.locator("#theme-toggle").get_attribute("aria-pressed") == "true"
    page.locator("#theme-toggle").click()
    page.reload()
    assert page.evaluate(background) == light
    page.context.close()
    # Without a choice, the system's: dark.
    page = _page(chromium, 375, "dark")
    page.goto(site.url + "/")
    assert page.evaluate(background) == dark
    assert page.locator("#theme-toggle").get_attribute("aria-pressed") == "true"
    page.context.close()


FORM_PAGES = [
    "/subscribe",
    "/settings",
    "/settings/tokens",
    "/admin/sources",
    "/admin/digests",
    "/moderation",
]


def test_every_page_uses_the_one_design(chromium: Any, site: Site) -> None:
    for width, scheme in VIEWS:
        page = _page(chromium, width, scheme)
        _sign_in(page, site, "ada")
        # The account menu shows the admin and moderator pages to an admin.
        page.locator(".account-menu summary").click()
        menu = page.locator(".account-menu-list")
        for name in ("Sources", "Digests", "Hidden papers and comments", "Settings", "API tokens"):
            assert menu.get_by_role("link", name=name).is_visible(), name
        _shot(page, f"account-menu-{width}-{scheme}")
        page.keyboard.press("Escape")
        assert not menu.is_visible()
        for path in FORM_PAGES:
            answer = page.goto(site.url + path)
            assert answer is not None and answer.ok, path
            sheets = page.evaluate(
                "[...document.querySelectorAll('link[rel=stylesheet]')].map(l => new URL(l.href).pathname)"
            )
            assert sheets == ["/static/style.css"], (path, sheets)
            assert _sideways(page) <= 0, f"{path} scrolls sideways at {width}px"
            _shot(page, f"{path.strip('/').replace('/', '-')}-{width}-{scheme}", full=True)
        page.goto(site.url + "/subscribe")
        email = page.locator("input[name=email]").bounding_box()
        assert email["width"] >= min(300, width - 100), email
        # The sources table at a phone's width: rows become cards, no word broken letter by letter.
        page.goto(site.url + "/admin/sources")
        narrowest = page.evaluate(
            """[...document.querySelectorAll('#sources td')].map(td => {
                 const style = getComputedStyle(td);
                 return td.getBoundingClientRect().width - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
               }).reduce((a, b) => Math.min(a, b), 1e9)"""
        )
        assert narrowest == 1e9 or narrowest >= 60, narrowest
        page.context.close()
    # A member without a role sees no admin page in the menu.
    page = _page(chromium, 1280, "light")
    _sign_in(page, site, "max")
    page.locator(".account-menu summary").click()
    assert page.locator(".account-menu-list").get_by_role("link", name="Settings").is_visible()
    assert (
        page.locator(
            ".account-menu-list a[href^='/admin'], .account-menu-list a[href='/moderation']"
        ).count()
        == 0
    )
    page.context.close()


def _focus_shows(page: Any) -> bool:
    return bool(
        page.evaluate(
            """() => { const e = document.activeElement; if (!e || e === document.body) return false;
                       const s = getComputedStyle(e);
                       return (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2)
                         || s.boxShadow !== 'none'; }"""
        )
    )


def test_keyboard(chromium: Any, site: Site) -> None:
    for width, scheme in VIEWS:
        page = _page(chromium, width, scheme)
        page.goto(f"{site.url}/papers/date/{DAY}")
        titles = page.locator("article.card .card-title a")
        page.keyboard.press("j")
        assert page.evaluate("document.activeElement.textContent") == titles.nth(0).inner_text()
        assert _focus_shows(page)
        page.keyboard.press("j")
        page.keyboard.press("j")
        page.keyboard.press("k")
        assert page.evaluate("document.activeElement.textContent") == titles.nth(1).inner_text()
        assert page.locator("article.card.is-current").count() == 1
        _shot(page, f"keyboard-{width}-{scheme}")
        page.keyboard.press("?")
        assert page.locator("#keys-help").is_visible()
        _shot(page, f"keys-help-{width}-{scheme}")
        page.keyboard.press("Escape")
        assert not page.locator("#keys-help").is_visible()
        href = titles.nth(1).get_attribute("href")
        page.keyboard.press("o")
        page.wait_for_url(site.url + href)
        page.go_back()
        # Every control is reached with Tab, in the page's order, its focus visible.
        page.goto(f"{site.url}/papers/date/{DAY}")
        seen = []
        for _ in range(25):
            page.keyboard.press("Tab")
            assert _focus_shows(page), page.evaluate(
                "document.activeElement.outerHTML.slice(0, 120)"
            )
            seen.append(page.evaluate("document.activeElement.textContent.trim().slice(0, 30)"))
        assert seen[0] == "Skip to content" and "Daily" in seen and "Calendar" in " ".join(seen)
        page.keyboard.press("/")
        if width > 800:
            assert page.evaluate("document.activeElement.id") == "header-q"
        else:  # the phone's header has no search box: the search page has one
            page.wait_for_url(site.url + "/search")
            assert page.evaluate("document.activeElement.id") == "q"
        page.context.close()
    # u upvotes the current paper (as a member, in place).
    page = _page(chromium, 1280, "light")
    _sign_in(page, site, "max")
    page.goto(f"{site.url}/papers/date/{DAY}")
    page.keyboard.press("j")
    vote = page.locator("article.card").first.locator(".vote-button")
    assert vote.get_attribute("aria-pressed") == "false"
    page.keyboard.press("u")
    page.wait_for_function(
        "() => document.querySelector('article.card .vote-button').getAttribute('aria-pressed') === 'true'"
    )
    # r marks it read (in place, static/vote.js), and again unread; a reload shows the state kept.
    read = page.locator("article.card").first.locator(".read-button")
    assert read.get_attribute("aria-pressed") == "false"
    page.keyboard.press("r")
    page.wait_for_function(
        "() => document.querySelector('article.card .read-button').getAttribute('aria-pressed') === 'true'"
    )
    page.reload()
    assert page.locator("article.card").first.locator(".read-button").inner_text() == "Read ✓"
    page.keyboard.press("j")
    page.keyboard.press("r")
    page.wait_for_function(
        "() => document.querySelector('article.card .read-button').getAttribute('aria-pressed') === 'false'"
    )
    page.context.close()


def test_docs_shows_every_operation(chromium: Any, site: Site) -> None:
    document = site.get("/openapi.json").json()
    operations = sum(
        1
        for ops in document["paths"].values()
        for method in ops
        if method in ("get", "post", "put", "patch", "delete")
    )
    assert document["openapi"].startswith("3.1") and operations > 10
    for width in (1280, 375):
        page = _page(chromium, width, "light")
        requests: list[str] = []
        page.on("request", lambda request, seen=requests: seen.append(request.url))
        page.goto(site.url + "/")
        page.locator(".site-footer").get_by_role("link", name="API documentation").click()
        page.wait_for_selector(".opblock")
        assert "Unable to render" not in page.content()
        assert page.locator(".opblock").count() == operations
        _shot(page, f"docs-{width}")
        assert {urlsplit(u).netloc for u in requests} == {urlsplit(site.url).netloc}
        page.context.close()


AXE_PAGES = [
    ("home", "/", None),
    ("day", f"/papers/date/{DAY}", None),
    ("week", "/papers/week/2026-W17", None),
    ("paper", "/papers/2604.18168", None),
    ("search", "/search?q=language+models", None),
    ("subscribe", "/subscribe", None),
    ("for-you", "/for-you", "max"),
    ("settings", "/settings", "max"),
    ("sources", "/admin/sources", "ada"),
]


def test_axe_finds_nothing_serious(chromium: Any, site: Site) -> None:
    failures = []
    for scheme in ("light", "dark"):
        pages: dict[str | None, Any] = {}
        for name, path, member in AXE_PAGES:
            if member not in pages:
                pages[member] = _page(chromium, 1280, scheme, bypass_csp=True)
                if member:
                    _sign_in(pages[member], site, member)
            page = pages[member]
            answer = page.goto(site.url + path)
            assert answer is not None and answer.ok, path
            if name == "day":  # the calendar's table is checked as well
                page.locator(".calendar summary").click()
            started = time.monotonic()
            failures += [f"{name} ({scheme}): {v}" for v in serious_violations(page)]
            print(f"axe {name} {scheme}: {time.monotonic() - started:.1f}s")
        for page in pages.values():
            page.context.close()
    assert not failures, "\n".join(failures)


def test_no_cdn_and_a_light_day_list(chromium: Any, site: Site) -> None:
    """A day list of 20 papers, everything it loads counted as the browser received it."""
    page = _page(chromium, 1280, "light")
    hosts = set()
    page.on("request", lambda request: hosts.add(urlsplit(request.url).netloc))
    page.goto(site.url + "/papers/date/2026-04-23", wait_until="networkidle")
    assert page.locator("article.card").count() >= 20
    entries = page.evaluate(
        """() => [...performance.getEntriesByType('navigation'), ...performance.getEntriesByType('resource')]
                 .map(e => [e.name, e.transferSize])"""
    )
    total = sum(size for _, size in entries)
    print(f"day list of 20 papers: {total} bytes in {len(entries)} responses")
    assert all(size > 0 for _, size in entries), entries  # nothing from a cache: all counted
    assert total < 300 * 1024, entries
    for path in ("/papers/2604.18168", "/search?q=agents", "/subscribe", "/papers/week/2026-W17"):
        page.goto(site.url + path, wait_until="networkidle")
    assert hosts == {urlsplit(site.url).netloc}
    page.context.close()
