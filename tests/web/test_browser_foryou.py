"""For you in headless Chromium against a real ``paperwire serve`` holding a recorded Hugging Face
list (really embedded): a new member picks a topic, upvotes two papers, marks one not interested,
and the feed reorders with its reasons; another member imports a small BibTeX library and their
feed starts from it. A screenshot goes to test-artifacts/screenshots/foryou-1280.png."""

from __future__ import annotations

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
LIBRARY = FIXTURE_DATA / "recommend" / "library.bib"
TOP = "2606.10651"  # Kwai Keye-VL-2.0, the day's most upvoted
PET = {"2606.11131", "2606.11032"}  # the day's two PET image denoising papers
LIP, MILLIVID = "2606.11180", "2606.09056"


@pytest.fixture
def foryou_site(sqlite_env: tuple[Engine, dict[str, str]], tmp_path: Path) -> Iterator[Site]:
    engine, env = sqlite_env
    _run(env, "ingest", "hf", "--file", str(LIST))
    _run(env, "index")
    add_member(engine, "newbie")
    add_member(engine, "librarian")
    OUT.mkdir(parents=True, exist_ok=True)
    with start_site(env, tmp_path / "serve.log") as running:
        yield running


def _sign_in(browser: Any, site: Site, name: str) -> Any:
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.goto(site.url + "/login?next=/for-you")
    page.get_by_label("User name or e-mail").fill(name)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(site.url + "/for-you")
    return page


def _order(page: Any) -> list[str]:
    return [
        str(pid)
        for pid in page.locator("li.foryou-item").evaluate_all(
            "items => items.map(li => li.dataset.paper)"
        )
    ]


def _reason(page: Any, paper: str) -> str:
    return str(page.locator(f'li.foryou-item[data-paper="{paper}"] .foryou-reason').inner_text())


def test_topic_votes_and_not_interested_reorder_the_feed(browser: Any, foryou_site: Site) -> None:
    from playwright.sync_api import expect

    page = _sign_in(browser, foryou_site, "newbie")
    expect(page.locator("#foryou-note")).to_contain_text("knows nothing you like yet")
    cold = _order(page)
    assert cold[0] == TOP and len(cold) > 20
    assert _reason(page, TOP) == "popular: 163 upvotes"

    page.get_by_label("Topics in a few words").fill("PET image denoising")
    page.get_by_role("button", name="Use these").click()
    page.wait_for_url(foryou_site.url + "/for-you")
    topical = _order(page)
    assert set(topical[:2]) == PET, topical[:5]
    assert _reason(page, topical[0]) == "matches your topic \u201cPET image denoising\u201d"

    page.locator("details.foryou-more > summary").click()  # past the reading budget
    for paper in (LIP, MILLIVID):  # upvoted in place (vote.js), no reload
        item = page.locator(f'li.foryou-item[data-paper="{paper}"]')
        item.get_by_title("Upvote this paper").click()
        expect(item.get_by_title("Take back your upvote")).to_be_visible()
    page.reload()
    voted = _order(page)
    # Upvoted, they are the member's own picks: shown apart, never recommended back.
    assert LIP not in voted and MILLIVID not in voted
    picks = page.locator(".foryou-picks")
    expect(picks.locator(f'[data-paper="{LIP}"]')).to_have_count(1)
    expect(picks.locator(f'[data-paper="{MILLIVID}"]')).to_have_count(1)
    assert any(_reason(page, p).startswith("because you upvoted \u201c") for p in voted[:5])
    assert set(voted[:5]) >= PET  # the topic is still there: both interests, not their average

    dismissed = voted[-1]
    page.locator("details.foryou-more > summary").click()
    page.locator(f'li.foryou-item[data-paper="{dismissed}"]').get_by_role(
        "button", name="Not interested"
    ).click()
    expect(page.locator(f'li.foryou-item[data-paper="{dismissed}"]')).to_have_count(0)
    page.reload()
    after = _order(page)
    assert dismissed not in after
    assert all(_reason(page, p) for p in after[:10])
    page.screenshot(path=str(OUT / "foryou-1280.png"), full_page=False)

    page.goto(foryou_site.url + "/for-you/signals")
    expect(page.locator(".signal-list")).to_contain_text("PET image denoising")
    expect(page.locator(".signal-list")).to_contain_text("Not interested")

    library = _sign_in(browser, foryou_site, "librarian")
    library.goto(foryou_site.url + "/for-you/import")
    library.get_by_label("Library file").set_input_files(str(LIBRARY))
    library.get_by_role("button", name="Import").click()
    expect(library.locator("#import-report")).to_contain_text(
        "3 entries read (BibTeX): 2 matched papers (2 by arXiv id, 0 by DOI, 0 by title),"
        " 1 kept as text seeds"
    )
    library.goto(foryou_site.url + "/for-you")
    seeded = _order(library)
    assert set(seeded[:2]) == {LIP, MILLIVID}, seeded[:5]
    assert "from your library" in _reason(library, seeded[0])
