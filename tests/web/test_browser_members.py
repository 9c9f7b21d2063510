"""Members in headless Chromium against a real ``paperwire serve``: sign up (by the link mailed to a
real SMTP server process), upvote and see the count
change without a reload, un-vote, comment (a ``<script>`` in it never runs), edit the comment, sign
out; sign in as a moderator and hide a comment; vote with JavaScript off. Screenshots of the
sign-in, sign-up and paper-with-comments pages go to test-artifacts/screenshots/."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from tests.mail.smtp_sink import SmtpSink, smtp_sink
from tests.web.chromium import OUT
from tests.web.members import PASSWORD, add_member, post_form, signed_in
from tests.web.served import Site, load_sample, start_site
from tests.web.test_signup_mail import BASE_URL, mailed_link

PAPER = "/papers/2406.00001"  # five imported upvotes
HOSTILE = "/papers/2406.00005"  # an abstract with <script>alert("pwned")</script>


@pytest.fixture
def smtp(tmp_path: Path) -> Iterator[SmtpSink]:
    with smtp_sink(tmp_path / "mailbox") as sink:
        yield sink


@pytest.fixture
def members_site(
    sqlite_env: tuple[Engine, dict[str, str]], smtp: SmtpSink, tmp_path: Path
) -> Iterator[tuple[Site, Engine]]:
    engine, env = sqlite_env
    load_sample(engine)
    add_member(engine, "ada")
    add_member(engine, "mod", "moderator")
    OUT.mkdir(parents=True, exist_ok=True)
    mail_env = {**env, "PAPERWIRE_SMTP_URL": smtp.url, "PAPERWIRE_BASE_URL": BASE_URL}
    with start_site(mail_env, tmp_path / "serve.log") as running:
        yield running, engine


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh browser page that records any dialog (alert, confirm) a script tries to open."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.dialogs = []
    page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()))
    yield page
    context.close()


def _expect() -> Any:
    from playwright.sync_api import expect  # a test dependency: missing, the test fails

    return expect


def test_sign_up_vote_unvote_comment_edit_and_sign_out(
    page: Any, members_site: tuple[Site, Engine], smtp: SmtpSink
) -> None:
    site, _ = members_site
    expect = _expect()
    page.goto(site.url + "/signup?next=" + PAPER)
    page.screenshot(path=str(OUT / "signup-1280.png"))
    page.get_by_label("User name").fill("newcomer")
    page.get_by_label("E-mail address").fill("newcomer@example.org")
    page.get_by_role("button", name="Create account").click()
    expect(page.locator("h1")).to_have_text("Check your inbox")
    page.goto(mailed_link(site, smtp, "newcomer@example.org", "/signup/confirm/"))
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password again").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url(site.url + PAPER)
    expect(page.locator(".account-nav")).to_contain_text("Signed in as newcomer")

    vote = page.locator("form.vote-inline button")
    count = vote.locator(".votes-count")
    expect(count).to_have_text("5")
    page.evaluate("window.stillThisPage = true")
    vote.click()
    expect(vote).to_have_attribute("aria-pressed", "true")
    expect(count).to_have_text("6")
    assert page.evaluate("window.stillThisPage") is True  # counted without a reload
    page.reload()
    expect(count).to_have_text("6")
    expect(vote).to_have_attribute("aria-pressed", "true")
    vote.click()
    expect(vote).to_have_attribute("aria-pressed", "false")
    expect(count).to_have_text("5")

    page.get_by_label("Add a comment").fill(
        "Nice **result**. <script>alert('xss')</script><img src=x onerror=alert('img')>"
    )
    page.get_by_role("button", name="Post comment").click()
    comment = page.locator("li.comment").first
    expect(comment.locator("strong", has_text="result")).to_be_visible()
    expect(comment).to_contain_text("<script>alert('xss')</script>")  # shown as text
    comment.locator("summary", has_text="Edit").click()
    comment.get_by_label("Edit your comment").fill("Nice result, *edited*.")
    comment.get_by_role("button", name="Save").click()
    expect(page.locator("li.comment").first.locator("em")).to_have_text("edited")
    expect(page.locator("li.comment").first).to_contain_text("(edited)")
    page.screenshot(path=str(OUT / "paper-with-comments-1280.png"), full_page=True)
    assert page.dialogs == []

    page.locator(".account-menu summary").click()  # the account menu holds "Sign out"
    page.get_by_role("button", name="Sign out").click()
    expect(page.locator(".account-nav")).to_contain_text("Sign in")
    page.goto(site.url + "/settings")
    assert page.url.startswith(site.url + "/login")


def test_a_moderator_signs_in_and_hides_a_comment(
    browser: Any, page: Any, members_site: tuple[Site, Engine]
) -> None:
    site, _ = members_site
    expect = _expect()
    ada = signed_in(site, "ada")
    assert post_form(ada, PAPER, PAPER + "/comments", {"body": "Buy cheap pills"}).is_redirect

    page.goto(site.url + "/login?next=" + PAPER)
    page.screenshot(path=str(OUT / "login-1280.png"))
    page.get_by_label("User name or e-mail address").fill("mod")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(site.url + PAPER)
    comment = page.locator("li.comment", has_text="Buy cheap pills")
    comment.get_by_role("button", name="Hide").click()
    expect(page.locator("li.comment", has_text="Buy cheap pills")).to_contain_text(
        "Hidden by a moderator"
    )

    anonymous = browser.new_page()
    anonymous.goto(site.url + PAPER)
    expect(anonymous.locator("#discussion")).to_contain_text("No comments here yet")
    anonymous.close()


def test_scripts_in_an_abstract_never_run(page: Any, members_site: tuple[Site, Engine]) -> None:
    site, _ = members_site
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(site.url + HOSTILE)
    _expect()(page.locator(".abstract")).to_contain_text('<script>alert("pwned")</script>')
    assert page.dialogs == [] and errors == []


def test_voting_works_as_a_plain_form_without_javascript(
    browser: Any, members_site: tuple[Site, Engine]
) -> None:
    site, _ = members_site
    expect = _expect()
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(site.url + "/login?next=/papers/date/2026-06-05")
    page.get_by_label("User name or e-mail address").fill("ada")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(site.url + "/papers/date/2026-06-05")
    vote = page.locator(f'form[action="{PAPER}/vote"] button')
    expect(vote.locator(".votes-count")).to_have_text("5")
    vote.click()
    page.wait_for_url(site.url + "/papers/date/2026-06-05")
    expect(vote).to_have_attribute("aria-pressed", "true")
    expect(vote.locator(".votes-count")).to_have_text("6")
    context.close()


def test_member_pages_fit_a_phone(browser: Any, members_site: tuple[Site, Engine]) -> None:
    site, _ = members_site
    ada = signed_in(site, "ada")
    assert post_form(ada, PAPER, PAPER + "/comments", {"body": "A *first* comment."}).is_redirect
    context = browser.new_context(viewport={"width": 375, "height": 800})
    page = context.new_page()
    page.goto(site.url + "/signup")
    pages = [
        ("signup", None),
        ("login", None),
        ("settings", "/settings"),
        ("paper-with-comments", PAPER),
    ]
    for name, path in pages:
        if name == "login":
            page.goto(site.url + "/login")
            page.screenshot(path=str(OUT / "login-375.png"))
            page.get_by_label("User name or e-mail address").fill("ada")
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            page.wait_for_url(site.url + "/")
            continue
        if path:
            page.goto(site.url + path)
        page.screenshot(path=str(OUT / f"{name}-375.png"), full_page=True)
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{name} scrolls sideways by {overflow}px on a phone"
    context.close()
