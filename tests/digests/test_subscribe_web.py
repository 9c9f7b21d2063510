"""Subscribing through a real ``paperwire serve`` process: the API and the page, the confirmation
e-mail and its link, the digest, one-click unsubscribe by POST, and refused addresses."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine

from paperwire.papers.records import PaperRecord
from tests.digests.support import BASE_URL, FRIDAY, MONDAY, add_subscribers, run
from tests.mail.smtp_sink import SmtpSink
from tests.web.members import client, post_form
from tests.web.served import Site, start_site


@pytest.fixture
def mail_site(
    papers: list[PaperRecord], mail_env: dict[str, str], tmp_path: Path
) -> Iterator[Site]:
    with start_site(mail_env, tmp_path / "serve.log") as running:
        yield running


def _local(site: Site, url: str) -> str:
    """The served instance's address for a link the e-mail gives under the public base URL."""
    assert url.startswith(BASE_URL + "/")
    return site.url + url[len(BASE_URL) :]


def _link(text: str, kind: str) -> str:
    match = re.search(rf"{re.escape(BASE_URL)}/subscribe/{kind}/\S+", text)
    assert match, text
    return match.group(0)


def test_subscribe_confirm_receive_and_unsubscribe_in_one_click(
    mail_site: Site, smtp: SmtpSink, mail_env: dict[str, str]
) -> None:
    address = "reader@example.org"
    answer = httpx.post(
        mail_site.url + "/api/subscriptions",
        json={"email": address, "frequency": "daily", "topics": ["protein folding"]},
    )
    assert answer.status_code == 202
    [confirmation] = smtp.messages(address)
    assert "Confirm" in str(confirmation["Subject"])

    # Unconfirmed: the digest run sends nothing.
    run(mail_env, "digest", "send", "--date", FRIDAY.isoformat())
    assert len(smtp.messages(address)) == 1

    confirm_url = _local(
        mail_site, _link(confirmation.get_body(("plain",)).get_content(), "confirm")
    )
    browser = client(mail_site)
    page = browser.get(confirm_url)
    assert page.status_code == 200 and "Confirm" in page.text
    assert browser.post(confirm_url).status_code == 403  # no CSRF token, no change
    confirmed = post_form(browser, confirm_url, confirm_url, {})
    assert confirmed.status_code == 200 and "Subscription confirmed" in confirmed.text

    run(mail_env, "digest", "send", "--date", FRIDAY.isoformat())
    digest = smtp.messages(address)[-1]
    text = digest.get_body(("plain",)).get_content()
    assert "Protein folding with diffusion" in text
    manage = httpx.get(_local(mail_site, _link(text, "manage")))
    assert manage.status_code == 200 and "protein folding" in manage.text

    unsubscribe = _local(mail_site, digest["List-Unsubscribe"].strip("<>"))
    one_click = httpx.post(
        unsubscribe,
        content=b"List-Unsubscribe=One-Click",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert one_click.status_code == 200
    run(mail_env, "digest", "send", "--date", MONDAY.isoformat())
    assert len(smtp.messages(address)) == 2
    # Mail clients may repeat the POST: the answer stays the same and nothing changes.
    again = httpx.post(
        unsubscribe,
        content=b"List-Unsubscribe=One-Click",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert again.status_code == 200
    page = httpx.get(unsubscribe, headers={"Accept": "text/html"})
    assert page.status_code == 200 and "unsubscribed" in page.text.lower()
    # The other links stop working once unsubscribed.
    assert httpx.get(_local(mail_site, _link(text, "manage"))).status_code == 400
    run(mail_env, "digest", "send", "--date", MONDAY.isoformat())
    assert len(smtp.messages(address)) == 2


def test_api_answers_202_for_a_known_address_too(mail_site: Site, smtp: SmtpSink) -> None:
    body = {"email": "twice@example.org", "frequency": "weekly", "topics": [], "categories": []}
    first = httpx.post(mail_site.url + "/api/subscriptions", json=body)
    second = httpx.post(mail_site.url + "/api/subscriptions", json=body)
    assert first.status_code == second.status_code == 202
    assert first.json() == second.json()


@pytest.mark.parametrize(
    "address",
    ["not-an-address", "victim@example.org\r\nBcc: everyone@example.org", "a@b", "a b@example.org"],
)
def test_malformed_or_injected_addresses_are_refused(
    mail_site: Site, smtp: SmtpSink, address: str
) -> None:
    answer = httpx.post(mail_site.url + "/api/subscriptions", json={"email": address})
    assert answer.status_code == 422
    assert "e-mail address" in answer.json()["error"]
    page = post_form(
        client(mail_site), "/subscribe", "/subscribe", {"email": address, "frequency": "daily"}
    )
    assert page.status_code == 422 and "e-mail address" in page.text
    assert smtp.count() == 0


def test_subscribe_page_form_sends_a_confirmation(mail_site: Site, smtp: SmtpSink) -> None:
    page = httpx.get(mail_site.url + "/subscribe")
    assert page.status_code == 200 and 'name="email"' in page.text
    done = post_form(
        client(mail_site),
        "/subscribe",
        "/subscribe",
        {"email": "form@example.org", "frequency": "weekly", "topics": "graphs\nproteins"},
    )
    assert done.status_code == 200 and "Check your inbox" in done.text
    assert len(smtp.messages("form@example.org")) == 1


def test_admin_page_shows_sends_and_failures_and_previews_a_digest(
    mail_site: Site, smtp: SmtpSink, mail_env: dict[str, str], engine: Engine
) -> None:
    bad, good = add_subscribers(engine, 2, topics=["protein folding"])
    smtp.script(bad, "550")
    run(mail_env, "digest", "send", "--date", FRIDAY.isoformat())
    admin = _local(mail_site, run(mail_env, "digest", "admin-link").strip())
    page = httpx.get(admin)
    assert page.status_code == 200
    assert bad in page.text and "550 scripted answer" in page.text and good in page.text
    monday = httpx.get(admin + "/preview", params={"email": good, "day": MONDAY.isoformat()})
    assert monday.status_code == 200 and "Monday&#39;s paper on protein folding" in monday.text
    # Friday's papers went out already: previewing Friday again says so instead of repeating them.
    friday = httpx.get(admin + "/preview", params={"email": good, "day": FRIDAY.isoformat()})
    assert "Protein folding with diffusion" not in friday.text
    assert "already sent to you" in friday.text
    assert httpx.get(admin[:-3] + "xyz").status_code == 400


def test_subscribing_is_rate_limited_per_address_of_the_client(
    mail_site: Site, smtp: SmtpSink
) -> None:
    answers = [
        httpx.post(mail_site.url + "/api/subscriptions", json={"email": f"r{i}@example.org"})
        for i in range(6)
    ]
    assert [a.status_code for a in answers] == [202] * 5 + [429]
    assert "Retry-After" in answers[-1].headers or "try again" in answers[-1].json()["error"]
    assert smtp.count() == 5
