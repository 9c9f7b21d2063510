"""The bearer-token hook the JSON API plugs into: a registered lookup signs API requests in, a token
it does not know is refused, and bearer calls under /api/ skip the CSRF check; pages and forms
elsewhere ignore the token.
Runs the real application in-process, since the hook is registered from code."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from paperwire.accounts.tokens import user_for_token
from paperwire.config import load_settings
from paperwire.db.models import User
from paperwire.web import auth
from paperwire.web.app import create_app
from tests.web.members import add_member

GOOD = {"Authorization": "Bearer good-token"}


def _lookup(session: Session, token: str) -> User | None:
    if token != "good-token":
        return None
    return session.scalar(select(User).where(User.username == "ada"))


@pytest.fixture
def http(engine: Engine, env: dict[str, str]) -> Iterator[TestClient]:
    add_member(engine, "ada")
    auth.register_bearer_lookup(_lookup)
    try:
        with TestClient(create_app(load_settings())) as client:
            yield client
    finally:  # the real lookup back, for the tests this process runs next
        auth.register_bearer_lookup(user_for_token)


def test_a_bearer_token_signs_api_requests_in_and_no_page(http: TestClient) -> None:
    assert http.get("/api/me", headers=GOOD).json()["username"] == "ada"
    unknown = http.get("/api/me", headers={"Authorization": "Bearer stolen"})
    assert unknown.status_code == 401
    for headers in (GOOD, {"Authorization": "Bearer stolen"}):
        page = http.get("/settings", headers=headers, follow_redirects=False)
        assert page.status_code == 303 and page.headers["location"].startswith("/login")


def test_bearer_calls_under_api_skip_csrf_but_forms_elsewhere_do_not(http: TestClient) -> None:
    api = http.post("/api/subscriptions", json={"email": "ada@example.org"}, headers=GOOD)
    assert api.status_code == 202
    form = http.post("/papers/2406.00001/vote", data={"action": "vote"}, headers=GOOD)
    assert form.status_code == 403
