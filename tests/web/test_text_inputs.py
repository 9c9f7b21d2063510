"""Every text input of the site and the API, sent a character no database or feed can hold: the
answer is a 422 (a page, or JSON under ``/api/``) naming the field, never a 500, on SQLite and on
PostgreSQL (whose ``text`` refuses NUL, which used to surface as a 500 from the driver).

The inputs are listed by hand, form by form and parameter by parameter, from the routes and the API
schemas; the OpenAPI test (schemathesis) fuzzes the documented ones further."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from paperwire.accounts import tokens
from paperwire.community import collections, comments
from paperwire.config import load_settings
from paperwire.db.engine import dispose_engines, make_engine, session_scope
from paperwire.db.migrate import upgrade
from paperwire.db.models import Subscription, User
from paperwire.digests.subscriptions import make_token
from paperwire.web.app import create_app
from tests.conftest import TEST_SECRET, _truncate_pg
from tests.web.members import PASSWORD, add_member, csrf_token
from tests.web.served import load_sample

BAD = "a\x00b"
PAPER = "2406.00001"


@dataclass(frozen=True)
class Input:
    """One text input: where it is sent, how, and the field name the refusal must mention."""

    name: str  # the field (form field, parameter or JSON key) that carries ``BAD``
    method: str
    url: str  # ``{bad}`` marks a path or query parameter; ``{...}`` other fixture values
    form: dict[str, str] | None = None
    json: dict[str, Any] | None = None


def _form(url: str, name: str, /, **others: str) -> Input:
    return Input(name, "POST", url, form={name: BAD, **others})


def _json(method: str, url: str, name: str, value: Any = BAD, /, **others: Any) -> Input:
    return Input(name, method, url, json={name: value, **others})


def _get(url: str, name: str) -> Input:
    return Input(name, "GET", url)


INPUTS = [
    # Forms of the pages (every field a route reads).
    _form("/signup", "username", email="n@example.org", password=PASSWORD),
    _form("/signup", "email", username="newcomer", password=PASSWORD),
    _form("/signup", "password", username="newcomer", email="n@example.org"),
    _form("/signup", "next", username="newcomer", email="n@example.org", password=PASSWORD),
    _form("/login", "username", password=PASSWORD),
    _form("/login", "password", username="ada"),
    _form("/settings/password", "current_password", new_password="x" * 12),
    _form("/settings/password", "new_password", current_password=PASSWORD),
    _form(f"/papers/{PAPER}/vote", "action"),
    _form(f"/papers/{PAPER}/comments", "body"),
    _form("/comments/{comment}/edit", "body"),
    _form("/collections", "name"),
    _form("/collections", "description", name="Second"),
    _form("/collections", "paper", name="Third"),
    _form("/collections/{collection}/edit", "name"),
    _form("/collections/{collection}/edit", "description", name="Reading"),
    _form("/collections/add", "paper", collection="{collection}"),
    _form("/collections/add", "collection", paper=PAPER),
    _form("/collections/{collection}/remove", "paper"),
    _form("/submit", "paper"),
    _form("/settings/tokens", "name"),
    _form("/subscribe", "email"),
    _form("/subscribe", "topics", email="s@example.org"),
    _form("/subscribe", "categories", email="s@example.org"),
    _form("/subscribe", "frequency", email="s@example.org"),
    _form("/subscribe/manage/{manage}", "topics"),
    _form("/subscribe/manage/{manage}", "categories"),
    # Query parameters of the pages and feeds.
    _get("/search?q={bad}", "q"),
    _get("/search?q=graph&cat={bad}", "cat"),
    _get("/search?q=graph&mode={bad}", "mode"),
    _get("/search?since={bad}", "since"),
    _get("/search.atom?q={bad}", "q"),
    _get("/search.jsonl?q=graph&sort={bad}", "sort"),
    _get("/daily.atom?date={bad}", "date"),
    _get("/daily.bib?week={bad}", "week"),
    _get("/?page={bad}", "page"),
    _get("/login?next={bad}", "next"),
    _get(f"/papers/{PAPER}/similar?part={{bad}}", "part"),
    _get("/admin/digests/preview?email={bad}", "email"),
    # Path parameters of the pages and feeds.
    _get("/collections/{bad}", "username"),
    _get("/collections/ada/{bad}", "slug"),
    _get("/collections/ada/{bad}/papers.atom", "slug"),
    _get("/papers/date/{bad}", "day"),
    _get("/papers/week/{bad}", "week"),
    _get("/papers/month/{bad}", "month"),
    _get("/daily.{bad}", "fmt"),
    _get("/subscribe/confirm/{bad}", "token"),
    _get("/subscribe/manage/{bad}", "token"),
    _get("/admin/digests/{bad}", "token"),
    # The API: query and path parameters.
    _get("/api/daily_papers?submitter={bad}", "submitter"),
    _get("/api/daily_papers?date={bad}", "date"),
    _get("/api/papers/search?q={bad}", "q"),
    _get("/api/search?q={bad}", "q"),
    _get("/api/search?cat={bad}", "cat"),
    _get("/api/members/{bad}/collections", "username"),
    _get("/api/members/ada/collections/{bad}", "slug"),
    # The API: JSON bodies.
    _json("POST", "/api/saved_searches", "name", query="graph"),
    _json("POST", "/api/saved_searches", "query"),
    _json("POST", "/api/submissions", "id"),
    _json("POST", f"/api/papers/{PAPER}/comments", "body"),
    _json("PATCH", "/api/comments/{comment}", "body"),
    _json("POST", "/api/collections", "name"),
    _json("POST", "/api/collections", "description", name="Fourth"),
    _json("PATCH", "/api/collections/{collection}", "name"),
    _json("PATCH", "/api/collections/{collection}", "description"),
    _json("POST", "/api/subscriptions", "email"),
    _json("POST", "/api/subscriptions", "topics", [BAD], email="s@example.org"),
    _json("POST", "/api/subscriptions", "categories", [BAD], email="s@example.org"),
]


@dataclass
class Member:
    http: TestClient
    token: str
    values: dict[str, str]


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def member(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Member]:
    """One instance per database for the whole list (nothing here is stored, so the cases cannot
    disturb each other): the sample papers, and ada, signed in, with an API token, a collection, a
    comment and a digest subscription."""
    folder = tmp_path_factory.mktemp("inputs")
    if request.param == "sqlite":
        url = f"sqlite:///{folder / 'paperwire.db'}"
    else:
        url = request.getfixturevalue("pg_server_url")
    engine = make_engine(url)
    if request.param == "sqlite":
        upgrade(engine)
    else:
        _truncate_pg(engine)
    settings = load_settings(
        {
            "PAPERWIRE_HOME": str(folder / "home"),
            "PAPERWIRE_DATABASE_URL": url,
            "PAPERWIRE_SECRET_KEY": TEST_SECRET,
        }
    )
    load_sample(engine)
    add_member(engine, "ada", role="admin")
    with session_scope(engine) as session:
        ada = session.scalars(select(User).where(User.username == "ada")).one()
        secret = tokens.create_token(session, ada, "tests").secret
        reading = collections.create_collection(session, ada, "Reading", is_public=True)
        comment = comments.add_comment(session, ada, PAPER, "A first comment.")
        now = datetime(2026, 6, 8, 9)
        digest = Subscription(
            email="ada@example.org", status="active", created_at=now, updated_at=now
        )
        session.add(digest)
        session.flush()
        values = {
            "collection": str(reading.id),
            "comment": str(comment.id),
            "manage": make_token(settings, digest, "manage"),
        }
    engine.dispose()
    with TestClient(create_app(settings), raise_server_exceptions=False) as http:
        token = csrf_token(http.get("/login").text)
        answer = http.post(
            "/login",
            data={"username": "ada", "password": PASSWORD, "csrf_token": token},
            follow_redirects=False,
        )
        assert answer.status_code == 303, answer.text
        yield Member(http, secret, values)
    dispose_engines()


def _send(member: Member, case: Input) -> Any:
    url = case.url.replace("{bad}", quote(BAD, safe=""))
    for key, value in member.values.items():
        url = url.replace("{" + key + "}", value)
    if case.form is not None:
        csrf = csrf_token(member.http.get("/").text)
        data = {k: v.format(**member.values) if "{" in v else v for k, v in case.form.items()}
        return member.http.request(
            case.method, url, data={**data, "csrf_token": csrf}, follow_redirects=False
        )
    bearer = {"Authorization": f"Bearer {member.token}"}
    if case.json is not None:
        return member.http.request(case.method, url, json=case.json, headers=bearer)
    return member.http.get(url, headers=bearer, follow_redirects=False)


@pytest.mark.parametrize("case", INPUTS, ids=lambda c: f"{c.method} {c.url} {c.name}")
def test_a_control_character_in_any_input_is_refused_naming_the_field(
    member: Member, case: Input
) -> None:
    answer = _send(member, case)
    assert answer.status_code == 422, (answer.status_code, answer.text[:500])
    message = answer.json()["error"] if case.url.startswith("/api/") else answer.text
    assert re.search(rf"\b{case.name}\b", message), message[:500]
    assert "U+0000" in message, message[:500]


@pytest.mark.parametrize(
    "url", ["/search.atom?q=%01", "/search.atom?q=%00", "/search.atom?q=%EF%BF%BE"]
)
def test_the_search_feed_refuses_a_control_character_in_the_query(member: Member, url: str) -> None:
    answer = member.http.get(url)
    assert answer.status_code == 422 and "query parameter q" in answer.text
