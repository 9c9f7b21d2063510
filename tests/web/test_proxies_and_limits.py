"""Rate limits a client cannot dodge: X-Forwarded-For is believed only from
``PAPERWIRE_TRUSTED_PROXIES``, sign-in is also limited per account, and the API limit is kept per
live token. Real ``paperwire serve`` processes on both engines."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, select

from paperwire.accounts import tokens
from paperwire.db.engine import session_scope
from paperwire.db.models import User
from paperwire.errors import RateLimited
from paperwire.ratelimit import LIMITS, check, record
from tests.web.members import PASSWORD, add_member, client, csrf_token
from tests.web.served import Site, start_site

PER_ADDRESS = LIMITS["login"].count
PER_ACCOUNT = LIMITS["login-account"].count


def _sign_in(site: Site, name: str, password: str, forwarded_for: str) -> httpx.Response:
    with client(site) as browser:
        token = csrf_token(browser.get("/login").text)
        return browser.post(
            "/login",
            data={"username": name, "password": password, "csrf_token": token},
            headers={"X-Forwarded-For": forwarded_for},
        )


def test_forwarded_for_from_an_untrusted_peer_does_not_reset_the_limit(
    env: dict[str, str], tmp_path: Path
) -> None:
    with start_site(env, tmp_path / "serve.log") as site:
        # A different made-up address and account name each time: only the address limit applies.
        answers = [
            _sign_in(site, f"nobody{n}", "wrong-password", f"203.0.113.{n}").status_code
            for n in range(PER_ADDRESS + 1)
        ]
    assert answers == [400] * PER_ADDRESS + [429]


def test_a_trusted_proxy_names_the_client_and_each_account_is_limited(
    env: dict[str, str], engine: Engine, tmp_path: Path
) -> None:
    add_member(engine, "ada")
    add_member(engine, "bob")
    trusted = {**env, "PAPERWIRE_TRUSTED_PROXIES": "127.0.0.1"}
    with start_site(trusted, tmp_path / "serve.log") as site:
        # The proxy's header is believed: one client address gets its own limit...
        same = [
            _sign_in(site, f"nobody{n}", "wrong-password", "198.51.100.7").status_code
            for n in range(PER_ADDRESS + 1)
        ]
        assert same == [400] * PER_ADDRESS + [429]
        # ...and guesses at one account from many addresses stop at the account's limit, even
        # for the right password, until the window ends.
        guesses = [
            _sign_in(site, "ada", f"guess-{n}-wrong", f"203.0.113.{n}").status_code
            for n in range(PER_ACCOUNT)
        ]
        assert guesses == [400] * PER_ACCOUNT
        locked = _sign_in(site, "ADA@example.org", PASSWORD, "192.0.2.1")
        assert locked.status_code == 429
        assert "too many failed sign-ins for this account" in locked.text
        assert 1 <= int(locked.headers["Retry-After"]) <= LIMITS["login-account"].seconds
        # Another account is not affected, and signing in clears its few failures.
        assert _sign_in(site, "bob", "wrong-password-1", "192.0.2.2").status_code == 400
        assert _sign_in(site, "bob", PASSWORD, "192.0.2.3").status_code == 303


def test_an_account_lock_lasts_at_most_one_window(engine: Engine) -> None:
    rule = LIMITS["login-account"]
    start = datetime(2026, 11, 28, 12, 0, 0)
    with session_scope(engine) as session:
        for _ in range(rule.count - 1):
            record(session, "login-account", "user:1", now=start)
        check(session, "login-account", "user:1", now=start)
        record(session, "login-account", "user:1", now=start)
        with pytest.raises(RateLimited) as refused:
            check(session, "login-account", "user:1", now=start + timedelta(seconds=5))
        assert refused.value.retry_after == rule.seconds - 5
        check(session, "login-account", "user:1", now=start + timedelta(seconds=rule.seconds + 1))


def _token(engine: Engine, name: str) -> str:
    with session_scope(engine) as session:
        user = session.scalar(select(User).where(User.username == name))
        assert user is not None
        return tokens.create_token(session, user, "script").secret


def test_the_api_limit_is_kept_per_member_with_a_live_token(
    env: dict[str, str], engine: Engine, tmp_path: Path
) -> None:
    add_member(engine, "ada")
    add_member(engine, "bob")
    ada, bob = _token(engine, "ada"), _token(engine, "bob")
    limit = 3
    with start_site({**env, "PAPERWIRE_API_RATE_LIMIT": str(limit)}, tmp_path / "s.log") as site:

        def call(token: str | None) -> int:
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            return site.get("/api/daily_papers?limit=1", headers=headers).status_code

        assert [call(ada) for _ in range(limit + 1)] == [200] * limit + [429]
        # Members behind the same address each have their budget, and so does the address.
        assert [call(bob) for _ in range(limit)] == [200] * limit
        assert [call(None) for _ in range(limit)] == [200] * limit
        # A made-up token is not a fresh budget: it counts against the address.
        assert call("pw_made-up-token") == 429
