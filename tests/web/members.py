"""Helpers for tests that act as members over HTTP: accounts made through the service, an
``httpx.Client`` signed in through the real sign-in form, and form posts carrying the page's CSRF
token (as a browser would send them)."""

from __future__ import annotations

import re

import httpx
from sqlalchemy import Engine

from paperwire.accounts.users import create_user
from paperwire.db.engine import session_scope
from tests.web.served import Site

PASSWORD = "correct-horse-battery"
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def add_member(engine: Engine, name: str, role: str = "member") -> int:
    """A member account ``name`` (e-mail ``name@example.org``, password ``PASSWORD``)."""
    with session_scope(engine) as session:
        return create_user(session, name, f"{name}@example.org", PASSWORD, role).id


def csrf_token(html: str) -> str:
    match = _TOKEN.search(html)
    assert match, "the page has no form with a CSRF token"
    return match.group(1)


def client(site: Site) -> httpx.Client:
    return httpx.Client(base_url=site.url, timeout=30)


def post_form(
    browser: httpx.Client, page: str, action: str, data: dict[str, str]
) -> httpx.Response:
    """Open ``page``, then post ``data`` to ``action`` with the token the page's forms carry.

    An instance whose public address is https (as behind a TLS proxy) sets Secure cookies, which
    httpx keeps to itself over the tests' plain http; they are sent by hand, as the proxy would."""
    token = csrf_token(browser.get(page).text)
    cookies = "; ".join(f"{c.name}={c.value}" for c in browser.cookies.jar if c.secure)
    headers = {"Cookie": cookies} if cookies else {}
    return browser.post(action, data={**data, "csrf_token": token}, headers=headers)


def signed_in(site: Site, name: str, password: str = PASSWORD) -> httpx.Client:
    """A client signed in as ``name`` through the sign-in form."""
    browser = client(site)
    answer = post_form(browser, "/login", "/login", {"username": name, "password": password})
    assert answer.status_code == 303, answer.text
    return browser
