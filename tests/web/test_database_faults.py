"""The database locked or unreachable mid-request, through a real ``paperwire serve`` process on
both engines: writes answer 503 with ``Retry-After`` (an HTML page for pages, a JSON error under
``/api``), nothing is half written, reads go on where the database allows them, and the same
request succeeds once the lock is gone or the server is back."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.engine import make_url

from paperwire.db.models import Comment, RateLimitHit, User, Vote
from tests.db.outage import Relay, write_lock
from tests.web.members import add_member, client, csrf_token, signed_in
from tests.web.served import Site, load_sample, start_site

PAPER = "/papers/2406.00001"
LOCK_TIMEOUT = "1"


@pytest.fixture
def lock_site(engine: Engine, env: dict[str, str], tmp_path: Path) -> Iterator[Site]:
    load_sample(engine)
    environ = {**env, "PAPERWIRE_DB_LOCK_TIMEOUT": LOCK_TIMEOUT}
    with start_site(environ, tmp_path / "serve.log", process=True) as running:
        yield running


def _rows(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            model.__tablename__: int(conn.scalar(select(func.count()).select_from(model)) or 0)
            for model in (Vote, Comment, User, RateLimitHit)
        }


def _unavailable(answer: httpx.Response, *, api: bool = False) -> None:
    assert answer.status_code == 503, (answer.status_code, answer.text[:300])
    assert int(answer.headers["retry-after"]) >= 1
    if api:
        assert "try again" in answer.json()["error"]
    else:
        assert answer.headers["content-type"].startswith("text/html")
        assert "Temporarily unavailable" in answer.text and "try again" in answer.text


def test_writes_while_the_database_is_locked_answer_503_and_succeed_when_retried(
    lock_site: Site, engine: Engine, database_url: str
) -> None:
    add_member(engine, "ada")
    ada = signed_in(lock_site, "ada")
    visitor = client(lock_site)
    member_token = csrf_token(ada.get(PAPER).text)
    visitor_token = csrf_token(visitor.get("/signup").text)
    vote = {"action": "vote", "csrf_token": member_token}
    comment = {"body": "A careful reading.", "csrf_token": member_token}
    signup = {
        "username": "grace",
        "email": "grace@example.org",
        "password": "another-long-password",
        "csrf_token": visitor_token,
    }
    before = _rows(engine)

    with write_lock(database_url):
        assert ada.get(PAPER).status_code == 200  # reading goes on under a write lock
        _unavailable(ada.post(PAPER + "/vote", data=vote))
        _unavailable(ada.post(PAPER + "/comments", data=comment))
        _unavailable(visitor.post("/signup", data=signup))
        api = visitor.get("/api/daily_papers")
        if database_url.startswith("sqlite"):
            # the API reads on too: its rate-limit counts are kept beside an SQLite database
            assert api.status_code == 200
        else:  # counting is a write into the locked tables
            _unavailable(api, api=True)
        assert _rows(engine) == before

    assert ada.post(PAPER + "/vote", data=vote).status_code == 303
    assert ada.post(PAPER + "/comments", data=comment).status_code == 303
    # Sign-up answers "check your inbox"; the account is made only when its link is followed.
    retried = visitor.post("/signup", data=signup)
    assert retried.status_code == 200 and "inbox" in retried.text
    after = _rows(engine)
    assert (after["votes"], after["comments"], after["users"]) == (
        before["votes"] + 1,
        before["comments"] + 1,
        before["users"],
    )
    log = lock_site.log.read_text()
    assert "database unavailable on POST /papers/2406.00001/vote" in log


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_postgresql_gone_mid_run_answers_503_then_recovers(
    engine: Engine, env: dict[str, str], database_url: str, tmp_path: Path
) -> None:
    url = make_url(database_url)
    load_sample(engine)
    relay = Relay(url.host or "127.0.0.1", url.port or 5432)
    relayed = url.set(host="127.0.0.1", port=relay.port).render_as_string(hide_password=False)
    environ = {**env, "PAPERWIRE_DATABASE_URL": relayed, "PAPERWIRE_DB_LOCK_TIMEOUT": "2"}
    with start_site(environ, tmp_path / "serve.log", process=True) as site:
        add_member(engine, "ada")
        ada = signed_in(site, "ada")
        token = csrf_token(ada.get(PAPER).text)
        before = _rows(engine)
        relay.cut()
        _unavailable(ada.get(PAPER))
        _unavailable(ada.post(PAPER + "/vote", data={"action": "vote", "csrf_token": token}))
        _unavailable(site.get("/api/daily_papers"), api=True)
        relay.restore()
        assert ada.get(PAPER).status_code == 200
        assert ada.post(PAPER + "/vote", data={"csrf_token": token}).status_code == 303
        assert _rows(engine)["votes"] == before["votes"] + 1
    relay.cut()


def test_a_503_after_a_failed_write_still_renders_for_the_signed_in_member(
    lock_site: Site, engine: Engine, database_url: str
) -> None:
    # Making a token adds a row through the ORM: the failed flush rolls the session back, which
    # expires the member the route loaded; the 503 page must not read it (it was a 500).
    add_member(engine, "ada")
    ada = signed_in(lock_site, "ada")
    token = csrf_token(ada.get("/settings/tokens").text)
    with write_lock(database_url):
        answer = ada.post("/settings/tokens", data={"name": "script", "csrf_token": token})
    _unavailable(answer)
    assert ">ada</summary>" in answer.text
