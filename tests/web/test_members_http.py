"""Signing up, in and out of a real ``paperwire serve`` process over HTTP: sessions that really end,
CSRF refusals, rate limits with Retry-After, and the password change signing out other browsers."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine

from paperwire.ratelimit import LIMITS
from tests.web.members import PASSWORD, add_member, client, csrf_token, post_form, signed_in
from tests.web.served import Site


def _header(page: httpx.Response) -> str:
    return page.text.split("</header>")[0]


def test_sign_in_sets_a_session_cookie_and_sign_out_ends_the_session(
    site: Site, engine: Engine
) -> None:
    # Signing up (a link mailed to the address) is tested in test_signup_mail.py.
    add_member(engine, "newcomer")
    browser = client(site)
    answer = post_form(
        browser,
        "/login",
        "/login",
        {"username": "newcomer", "password": PASSWORD, "next": "/settings"},
    )
    assert answer.status_code == 303 and answer.headers["location"] == "/settings"
    cookie = answer.headers["set-cookie"]
    assert "pw_session=" in cookie and "HttpOnly" in cookie and "samesite=lax" in cookie.lower()
    assert "Secure" not in cookie  # the test instance is served over plain http
    assert "Signed in as" in _header(browser.get("/")) and "newcomer" in _header(browser.get("/"))
    stolen = browser.cookies["pw_session"]

    out = post_form(browser, "/", "/logout", {})
    assert out.status_code == 303
    assert "Sign in" in _header(browser.get("/"))
    # The old cookie opens nothing any more: the session ended on the server.
    replay = httpx.get(site.url + "/settings", cookies={"pw_session": stolen})
    assert replay.status_code == 303 and replay.headers["location"] == "/login?next=%2Fsettings"


def test_sign_up_refusals_keep_the_form_and_say_why(site: Site, engine: Engine) -> None:
    add_member(engine, "taken")
    browser = client(site)
    for data, status, message in [
        (
            {"username": "taken", "email": "t2@example.org"},
            409,
            "user name &#39;taken&#39; is already taken",
        ),
        (
            {"username": "bad name", "email": "b@example.org"},
            400,
            "user name &#39;bad name&#39; is not valid",
        ),
    ]:
        answer = post_form(browser, "/signup", "/signup", data)
        assert answer.status_code == status and message in answer.text
        assert data["email"] in answer.text  # the form keeps what was typed, except the password
    assert "pw_session" not in browser.cookies


def test_sign_in_with_a_wrong_password_is_refused(site: Site, engine: Engine) -> None:
    add_member(engine, "ada")
    browser = client(site)
    wrong = post_form(browser, "/login", "/login", {"username": "ada", "password": "nope-nope"})
    assert wrong.status_code == 400 and "do not match an account" in wrong.text
    assert "pw_session" not in browser.cookies
    by_mail = post_form(
        browser, "/login", "/login", {"username": "ada@example.org", "password": PASSWORD}
    )
    assert by_mail.status_code == 303


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("//evil.example", "/"),
        ("https://evil.example", "/"),
        ("/\t/evil.example", "/"),
        ("/\\evil.example", "/"),
        ("/papers/2406.00001?x=1", "/papers/2406.00001?x=1"),
    ],
)
def test_next_never_leaves_the_site(site: Site, engine: Engine, target: str, expected: str) -> None:
    add_member(engine, "ada")
    answer = post_form(
        client(site), "/login", "/login", {"username": "ada", "password": PASSWORD, "next": target}
    )
    assert answer.headers["location"] == expected


@pytest.mark.parametrize("action", ["/login", "/signup", "/logout", "/subscribe"])
def test_a_post_without_the_csrf_token_is_refused(site: Site, engine: Engine, action: str) -> None:
    add_member(engine, "ada")
    browser = signed_in(site, "ada") if action == "/logout" else client(site)
    data = {"username": "ada", "password": PASSWORD, "email": "x@example.org"}
    missing = browser.post(action, data=data)
    assert missing.status_code == 403 and "did not come from this site" in missing.text
    forged = browser.post(action, data={**data, "csrf_token": "0" * 64})
    assert forged.status_code == 403
    # Another visitor's token does not work either.
    theirs = csrf_token(client(site).get("/login").text)
    assert browser.post(action, data={**data, "csrf_token": theirs}).status_code == 403


def test_changing_the_password_signs_out_other_browsers(site: Site, engine: Engine) -> None:
    add_member(engine, "ada")
    laptop, phone = signed_in(site, "ada"), signed_in(site, "ada")
    new = "a-brand-new-password"
    form = {"current_password": PASSWORD, "new_password": new, "confirm_password": new}
    wrong = post_form(
        laptop, "/settings", "/settings/password", {**form, "current_password": "x" * 9}
    )
    assert wrong.status_code == 400 and "current password is not right" in wrong.text
    changed = post_form(laptop, "/settings", "/settings/password", form)
    assert changed.status_code == 200 and "1 other session was signed out" in changed.text
    assert laptop.get("/settings").status_code == 200
    assert phone.get("/settings").status_code == 303
    signed_in(site, "ada", new)


def test_sign_in_attempts_are_rate_limited_with_retry_after(site: Site) -> None:
    browser = client(site)
    token = csrf_token(browser.get("/login").text)
    data = {"username": "nobody", "password": "wrong-password", "csrf_token": token}
    answers = [browser.post("/login", data=data) for _ in range(LIMITS["login"].count + 1)]
    assert [a.status_code for a in answers[:-1]] == [400] * LIMITS["login"].count
    refused = answers[-1]
    assert refused.status_code == 429 and "Too many requests" in refused.text
    assert 0 < int(refused.headers["Retry-After"]) <= LIMITS["login"].seconds


def test_sign_ups_are_rate_limited(site: Site) -> None:
    browser = client(site)
    token = csrf_token(browser.get("/signup").text)
    codes = [
        browser.post(
            "/signup",
            data={
                "username": f"m{i}",
                "email": f"m{i}@example.org",
                "csrf_token": token,
            },
        ).status_code
        for i in range(LIMITS["signup"].count + 1)
    ]
    assert codes == [200] * LIMITS["signup"].count + [429]


def _routes(routes: Iterable[Any]) -> Iterator[Any]:
    """Every route, looking inside included routers (paperwire includes them without a prefix)."""
    for route in routes:
        inner = getattr(route, "original_router", None)
        yield from _routes(inner.routes) if inner is not None else [route]


def test_every_state_changing_route_refuses_a_form_without_the_token(
    site: Site, engine: Engine
) -> None:
    """Every POST route of the app, present and future, as a signed-in member's browser would
    be tricked into posting it: the application-wide check answers 403 before the route runs."""
    from paperwire.web.app import create_app

    add_member(engine, "ada", "admin")
    browser = signed_in(site, "ada")
    values = {"paper_id": "2406.00001", "comment_id": "1", "token": "x" * 20}
    checked = []
    for route in _routes(create_app().routes):
        if "POST" not in (getattr(route, "methods", None) or ()):
            continue
        path = re.sub(r"{(\w+)(?::[^}]*)?}", lambda m: values.get(m.group(1), "1"), route.path)
        answer = browser.post(path, data={"body": "x", "email": "x@example.org"})
        if route.path == "/mcp":
            # The MCP endpoint reads no cookie (member tools act only with a Bearer token), so a
            # tricked browser has nothing to lend it; a form is not JSON-RPC and is refused.
            assert answer.status_code in (400, 406, 415), answer.status_code
            continue
        assert answer.status_code == 403, (route.path, answer.status_code)
        checked.append(route.path)
    assert {"/login", "/logout", "/papers/{paper_id:paper_id}/vote"} <= set(checked)
