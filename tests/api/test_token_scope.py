"""How far a personal API token reaches: a member holds at most ``PAPERWIRE_MAX_API_TOKENS`` live
ones (web and CLI), the API's rate limit counts a member's tokens together, and a token opens the
JSON API only, never a page or a form (not even with an anonymous CSRF cookie beside it)."""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, func, select

from paperwire.cli import main
from paperwire.db.engine import dispose_engines, session_scope
from paperwire.db.models import ApiToken
from tests.api.test_tokens import bearer, new_token
from tests.web.members import add_member, client, csrf_token, post_form, signed_in
from tests.web.served import Site, load_sample, start_site

MAX_TOKENS = 2
LIMIT = 6


@pytest.fixture
def capped_site(engine: Engine, env: dict[str, str], tmp_path: Path) -> Iterator[Site]:
    load_sample(engine)
    add_member(engine, "alice")
    settings = {
        **env,
        "PAPERWIRE_MAX_API_TOKENS": str(MAX_TOKENS),
        "PAPERWIRE_API_RATE_LIMIT": str(LIMIT),
    }
    with start_site(settings, tmp_path / "serve.log") as site:
        yield site


def _live(engine: Engine) -> int:
    with session_scope(engine) as db:
        return int(db.scalar(select(func.count()).where(ApiToken.revoked_at.is_(None))) or 0)


def test_a_member_holds_at_most_the_configured_number_of_live_tokens(
    capped_site: Site, engine: Engine
) -> None:
    alice = signed_in(capped_site, "alice")
    first = new_token(alice, "one")
    new_token(alice, "two")
    refused = post_form(alice, "/settings", "/settings/tokens", {"name": "three"})
    assert refused.status_code == 409
    assert f"the most live API tokens this site allows ({MAX_TOKENS})" in refused.text
    assert 'id="new-token"' not in refused.text
    assert _live(engine) == MAX_TOKENS
    # Revoking one frees its place; the revoked one stays refused.
    token_id = re.search(r"/settings/tokens/(\d+)/revoke", alice.get("/settings/tokens").text)
    assert token_id
    post_form(alice, "/settings/tokens", f"/settings/tokens/{token_id.group(1)}/revoke", {})
    new_token(alice, "three")
    assert _live(engine) == MAX_TOKENS
    assert capped_site.get("/api/me", headers=bearer(first)).status_code == 200  # "two" went


def test_the_command_line_keeps_the_same_cap(
    engine: Engine,
    env: dict[str, str],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    add_member(engine, "alice")
    monkeypatch.setenv("PAPERWIRE_MAX_API_TOKENS", "1")

    def run(*args: str) -> tuple[int, str]:
        monkeypatch.setattr(sys, "argv", ["paperwire", "user", "token", *args])
        with pytest.raises(SystemExit) as exited:
            main()
        return int(exited.value.code or 0), capsys.readouterr().err

    try:
        assert run("alice", "--label", "first") == (0, "")
        status, err = run("alice", "--label", "second")
    finally:
        dispose_engines()
    assert status == 1 and "the most live API tokens this site allows (1)" in err
    assert _live(engine) == 1


def test_the_rate_limit_counts_a_members_tokens_together(capped_site: Site) -> None:
    alice = signed_in(capped_site, "alice")
    keys = [new_token(alice, "one"), new_token(alice, "two")]
    answers = [
        capped_site.get("/api/me", headers=bearer(keys[i % 2])).status_code for i in range(LIMIT)
    ]
    assert answers == [200] * LIMIT
    # Each token alone has made only half the limit's requests: the budget is the member's.
    for key in keys:
        refused = capped_site.get("/api/me", headers=bearer(key))
        assert refused.status_code == 429 and refused.headers["RateLimit-Remaining"] == "0"


def test_a_token_opens_no_page_and_posts_no_form(capped_site: Site, engine: Engine) -> None:
    alice = signed_in(capped_site, "alice")
    token = new_token(alice, "script")
    assert capped_site.get("/api/me", headers=bearer(token)).status_code == 200

    # Pages: the token is not a session; the visitor is anonymous and asked to sign in.
    page = capped_site.get("/settings/tokens", headers=bearer(token), follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"].startswith("/login")

    # Forms: a token and any anonymous CSRF cookie (from the sign-in page) post nothing.
    stranger = client(capped_site)
    form_token = csrf_token(stranger.get("/login").text)
    for action, data in (
        ("/settings/tokens", {"name": "minted by a token"}),
        ("/papers/2406.00001/vote", {"action": "vote"}),
        ("/collections", {"name": "by a token"}),
    ):
        answer = stranger.post(
            action,
            data={**data, "csrf_token": form_token},
            headers=bearer(token),
            follow_redirects=False,
        )
        assert answer.status_code == 401, (action, answer.status_code)
    assert _live(engine) == 1
    assert httpx.get(capped_site.url + "/api/me", headers=bearer(token)).status_code == 200
