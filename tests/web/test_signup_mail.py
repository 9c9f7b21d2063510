"""Signing up by a link mailed to the address, through a real ``paperwire serve`` process and a real
SMTP server process: the answer never tells whether an address is registered, an account exists
only once its address's owner follows the link, a member sees a digest in their settings only for
a verified address, and no request mails one address more often than its budget allows."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, select

from paperwire.accounts.users import create_user
from paperwire.db.engine import session_scope
from paperwire.db.models import Subscription, User
from paperwire.papers.records import now_utc
from tests.mail.smtp_sink import SmtpSink, smtp_sink
from tests.web.members import PASSWORD, add_member, client, post_form, signed_in
from tests.web.served import Site, load_sample, start_site

BASE_URL = "http://papers.example.org"


@pytest.fixture
def smtp(tmp_path: Path) -> Iterator[SmtpSink]:
    with smtp_sink(tmp_path / "mailbox") as sink:
        yield sink


@pytest.fixture
def mail_site(
    engine: Engine, env: dict[str, str], smtp: SmtpSink, tmp_path: Path
) -> Iterator[Site]:
    load_sample(engine)
    mail_env = {**env, "PAPERWIRE_SMTP_URL": smtp.url, "PAPERWIRE_BASE_URL": BASE_URL}
    with start_site(mail_env, tmp_path / "serve.log") as running:
        yield running


def mailed_link(site: Site, smtp: SmtpSink, address: str, path: str) -> str:
    """The served instance's address for the ``path`` link in the last mail to ``address``."""
    text = smtp.messages(address)[-1].get_body(("plain",)).get_content()
    match = re.search(rf"{re.escape(BASE_URL + path)}\S+", text)
    assert match, text
    return site.url + match.group(0)[len(BASE_URL) :]


def _sign_up(browser: httpx.Client, username: str, email: str) -> httpx.Response:
    # A password too, as the form asked for before: it must not make an account at once.
    data = {"username": username, "email": email, "password": PASSWORD, "next": "/settings"}
    return post_form(browser, "/signup", "/signup", data)


def _answer(page: httpx.Response, *typed: str) -> str:
    """A page with what the visitor typed, the CSRF token and the nonce taken out."""
    text = page.text
    for value in typed:
        text = text.replace(value, "…")
    return re.sub(r'(value|nonce|content)="[^"]*"', "", text)


def test_sign_up_never_tells_whether_an_address_is_registered(
    mail_site: Site, smtp: SmtpSink, engine: Engine
) -> None:
    add_member(engine, "ada")
    browser = client(mail_site)
    taken = _sign_up(browser, "mallory", "ada@example.org")
    fresh = _sign_up(client(mail_site), "newcomer", "new@example.org")
    assert taken.status_code == fresh.status_code == 200
    assert _answer(taken, "ada@example.org") == _answer(fresh, "new@example.org")
    assert "Check your inbox" in fresh.text
    assert "pw_session" not in browser.cookies
    [notice] = smtp.messages("ada@example.org")
    assert "tried to sign up" in str(notice["Subject"])
    assert "/signup/confirm/" not in notice.get_body(("plain",)).get_content()
    # A user name is public anyway: a taken one stays a form error.
    again = _sign_up(client(mail_site), "ada", "other@example.org")
    assert again.status_code == 409 and "already taken" in again.text

    # The new address's owner follows the link, chooses a password and is signed in.
    link = mailed_link(mail_site, smtp, "new@example.org", "/signup/confirm/")
    newcomer = client(mail_site)
    assert "newcomer" in newcomer.get(link).text
    short = post_form(newcomer, link, link, {"password": "short", "confirm_password": "short"})
    assert short.status_code == 400 and "at least 8" in short.text
    done = post_form(newcomer, link, link, {"password": PASSWORD, "confirm_password": PASSWORD})
    assert done.status_code == 303 and done.headers["location"] == "/settings"
    assert "Signed in as" in newcomer.get("/").text
    with session_scope(engine) as session:
        user = session.scalars(select(User).where(User.username == "newcomer")).one()
        assert user.email_verified_at is not None
    # The link makes one account only.
    replay = post_form(
        client(mail_site), link, link, {"password": PASSWORD, "confirm_password": PASSWORD}
    )
    assert replay.status_code == 409 and "used already" in replay.text
    assert client(mail_site).get(link[:-3] + "xyz").status_code == 400


def _subscribe(engine: Engine, address: str) -> None:
    with session_scope(engine) as session:
        now = now_utc()
        session.add(
            Subscription(
                email=address, frequency="weekly", topics=["graphs"], categories=[],
                status="active", created_at=now, updated_at=now, confirmed_at=now,
            )
        )  # fmt: skip


def test_someone_elses_address_never_shows_their_digest(
    mail_site: Site, smtp: SmtpSink, engine: Engine
) -> None:
    _subscribe(engine, "victim@example.org")
    attacker = client(mail_site)
    _sign_up(attacker, "mallory", "victim@example.org")
    assert attacker.get("/settings").status_code == 303  # no account, no session
    [mail] = smtp.messages("victim@example.org")  # the link went to the address, not to mallory
    assert "/signup/confirm/" in mail.get_body(("plain",)).get_content()


def test_an_unverified_account_sees_no_digest_until_its_address_is_confirmed(
    mail_site: Site, smtp: SmtpSink, engine: Engine
) -> None:
    _subscribe(engine, "victim@example.org")
    # An account from before verification (the old sign-up) with the victim's address.
    with session_scope(engine) as session:
        create_user(session, "legacy", "victim@example.org", PASSWORD, verified=False)
    legacy = signed_in(mail_site, "legacy")
    page = legacy.get("/settings").text
    assert "/subscribe/manage/" not in page and "weekly digest" not in page
    assert "is not verified yet" in page

    # The address's owner confirms it with the link mailed to it; then it is theirs.
    sent = post_form(legacy, "/settings", "/settings/verify", {})
    assert sent.status_code == 200 and "on its way" in sent.text
    verify = mailed_link(mail_site, smtp, "victim@example.org", "/settings/verify/")
    owner = client(mail_site)
    assert owner.get(verify).status_code == 200  # a prefetch verifies nothing
    assert "is not verified yet" in legacy.get("/settings").text
    assert post_form(owner, verify, verify, {}).status_code == 200
    page = legacy.get("/settings").text
    assert "weekly digest, active" in page and "/subscribe/manage/" in page


def test_requests_mail_one_address_at_most_once_in_a_while(
    mail_site: Site, smtp: SmtpSink, engine: Engine
) -> None:
    # Each request from another client address (the per-IP limits do not apply to this budget).
    for ip in ("10.0.0.1", "10.0.0.2", "10.0.0.3"):
        answer = httpx.post(
            mail_site.url + "/api/subscriptions",
            json={"email": "pending@example.org"},
            headers={"X-Forwarded-For": ip},
        )
        assert answer.status_code == 202
    assert len(smtp.messages("pending@example.org")) == 1
    _subscribe(engine, "active@example.org")
    for _ in range(3):
        httpx.post(mail_site.url + "/api/subscriptions", json={"email": "active@example.org"})
    assert len(smtp.messages("active@example.org")) == 1
    for name in ("first", "second", "third"):
        assert _sign_up(client(mail_site), name, "inbox@example.org").status_code == 200
    assert len(smtp.messages("inbox@example.org")) == 1
