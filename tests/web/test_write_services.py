"""Each write service is what every surface calls: a vote, hiding a paper and changing a collection
have the same effect and the same refusal from the pages' forms and from the JSON API, on SQLite
and PostgreSQL; the request's one commit happens only when the route succeeds, and what must
follow a commit (the search index after a paper is hidden) follows it, and nothing else."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from paperwire.accounts.tokens import create_token
from paperwire.config import Settings, load_settings
from paperwire.db.engine import session_scope
from paperwire.db.models import Collection, Paper, User, Vote
from paperwire.web.app import create_app
from tests.conftest import TEST_SECRET
from tests.web.members import PASSWORD, add_member
from tests.web.served import load_sample

PAPER = "2406.00001"  # five imported upvotes
HIDDEN = "2406.00004"  # hidden by a moderator in the sample
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class Surfaces:
    settings: Settings
    engine: Engine
    web: TestClient  # signed in as ada through the sign-in form
    api: TestClient  # bob's API token
    moderator: TestClient

    def form(self, action: str, data: dict[str, str], page: str = "/") -> httpx.Response:
        return _post_form(self.web, page, action, data)


def _post_form(client: TestClient, page: str, action: str, data: dict[str, str]) -> httpx.Response:
    token = _TOKEN.search(client.get(page).text)
    assert token, f"{page} has no form with a CSRF token"
    return client.post(action, data={**data, "csrf_token": token.group(1)}, follow_redirects=False)


def _signed_in(app: FastAPI, name: str) -> TestClient:
    client = TestClient(app, base_url="http://localhost:8000")
    answer = _post_form(client, "/login", "/login", {"username": name, "password": PASSWORD})
    assert answer.status_code == 303, answer.text
    return client


@pytest.fixture
def surfaces(database_url: str, tmp_path: Path) -> Iterator[Surfaces]:
    settings = load_settings(
        {
            "PAPERWIRE_HOME": str(tmp_path / "home"),
            "PAPERWIRE_DATABASE_URL": database_url,
            "PAPERWIRE_SECRET_KEY": TEST_SECRET,
            "PAPERWIRE_API_RATE_LIMIT": "0",
        }
    )
    app = create_app(settings)
    engine: Engine = app.state.engine
    load_sample(engine)
    for name, role in (("ada", "member"), ("bob", "member"), ("mod", "moderator")):
        add_member(engine, name, role)
    with session_scope(engine) as session:
        bob = session.scalars(select(User).where(User.username == "bob")).one()
        secret = create_token(session, bob, "tests").secret
    api = TestClient(
        app, base_url="http://localhost:8000", headers={"Authorization": f"Bearer {secret}"}
    )
    yield Surfaces(settings, engine, _signed_in(app, "ada"), api, _signed_in(app, "mod"))
    engine.dispose()


def _stored_votes(engine: Engine, paper_id: str) -> tuple[int, int]:
    """The paper's kept count and the votes actually stored: the service keeps them equal."""
    with session_scope(engine) as session:
        kept = session.scalar(select(Paper.vote_count).where(Paper.id == paper_id))
        counted = session.scalar(select(func.count()).where(Vote.paper_id == paper_id))
    return kept or 0, counted or 0


def test_a_vote_is_the_same_from_the_vote_form_and_the_api(surfaces: Surfaces) -> None:
    web = surfaces.form(f"/papers/{PAPER}/vote", {"action": "vote"}, page=f"/papers/{PAPER}")
    assert web.status_code == 303
    api = surfaces.api.post(f"/api/papers/{PAPER}/vote")
    assert api.json() == {"paperId": PAPER, "voted": True, "upvotes": 7}
    assert surfaces.api.post(f"/api/papers/{PAPER}/vote").json()["upvotes"] == 7  # idempotent
    assert _stored_votes(surfaces.engine, PAPER) == (2, 2)
    surfaces.form(f"/papers/{PAPER}/vote", {"action": "unvote"}, page=f"/papers/{PAPER}")
    assert surfaces.api.delete(f"/api/papers/{PAPER}/vote").json()["upvotes"] == 5
    assert _stored_votes(surfaces.engine, PAPER) == (0, 0)
    # The same refusal for a hidden paper, and nothing stored by either.
    refused_web = surfaces.form(f"/papers/{HIDDEN}/vote", {"action": "vote"})
    refused_api = surfaces.api.post(f"/api/papers/{HIDDEN}/vote")
    assert refused_web.status_code == refused_api.status_code == 404
    assert f"no paper &#39;{HIDDEN}&#39;" in refused_web.text
    assert refused_api.json() == {"error": f"no paper '{HIDDEN}'"}
    assert _stored_votes(surfaces.engine, HIDDEN) == (0, 0)


def _searched(surfaces: Surfaces, words: str) -> list[str]:
    found = surfaces.api.get("/api/search", params={"q": words, "mode": "lexical"})
    assert found.status_code == 200, found.text
    return [r["id"] for r in found.json()["results"]]


def test_hiding_a_paper_reaches_the_search_index_once_committed_only(
    surfaces: Surfaces,
) -> None:
    from paperwire.community import moderation
    from paperwire.search import service

    service.sync_index(surfaces.settings, surfaces.engine, embed=False)
    assert PAPER in _searched(surfaces, "Alpha")
    refused = _post_form(surfaces.web, "/", f"/papers/{PAPER}/hide", {})
    assert refused.status_code == 403
    hidden = _post_form(surfaces.moderator, "/", f"/papers/{PAPER}/hide", {})
    assert hidden.status_code == 303
    assert PAPER not in _searched(surfaces, "Alpha")
    assert surfaces.api.post(f"/api/papers/{PAPER}/vote").status_code == 404
    # A unit of work that fails after the service ran commits nothing and syncs nothing.
    with pytest.raises(RuntimeError), session_scope(surfaces.engine) as session:
        mod = session.scalars(select(User).where(User.username == "mod")).one()
        moderation.set_paper_hidden(session, surfaces.settings, mod, PAPER, False)
        raise RuntimeError("the command failed after the change")
    assert PAPER not in _searched(surfaces, "Alpha")
    shown = _post_form(surfaces.moderator, "/moderation", f"/papers/{PAPER}/unhide", {})
    assert shown.status_code == 303
    assert PAPER in _searched(surfaces, "Alpha")


def _collections(engine: Engine, owner: str) -> dict[str, int]:
    """Each of the owner's collections (by slug) with its number of papers."""
    from paperwire.community.collections import member_collections

    with session_scope(engine) as session:
        return {c.slug: c.paper_count for c in member_collections(session, owner, None)}


def test_a_collection_changes_the_same_from_its_forms_and_the_api(surfaces: Surfaces) -> None:
    web = surfaces.form(
        "/collections", {"name": "Reading list", "public": "on", "paper": PAPER}, "/collections"
    )
    assert web.status_code == 303
    api = surfaces.api.post("/api/collections", json={"name": "Reading list", "isPublic": True})
    assert api.status_code == 201 and api.json()["slug"] == "reading-list"
    added = surfaces.api.put(f"/api/collections/{api.json()['id']}/papers/{PAPER}")
    assert added.status_code == 204
    assert _collections(surfaces.engine, "ada") == _collections(surfaces.engine, "bob")
    assert _collections(surfaces.engine, "ada") == {"reading-list": 1}
    # A hidden paper is refused alike, and the route that failed commits nothing: no collection
    # is left behind by the form that would have made one with the paper in it.
    refused_web = surfaces.form("/collections", {"name": "Second", "paper": HIDDEN}, "/collections")
    refused_api = surfaces.api.put(f"/api/collections/{api.json()['id']}/papers/{HIDDEN}")
    assert refused_web.status_code == refused_api.status_code == 404
    assert f"There is no paper {HIDDEN} here." in refused_web.text
    assert refused_api.json() == {"error": f"There is no paper {HIDDEN} here."}
    with session_scope(surfaces.engine) as session:
        assert session.scalar(select(func.count()).select_from(Collection)) == 2
    # Somebody else's collection does not exist for either surface.
    ada_collection = surfaces.api.get("/api/members/ada/collections").json()[0]["id"]
    theirs = surfaces.api.delete(f"/api/collections/{ada_collection}")
    assert theirs.status_code == 404
    deleted = surfaces.form(f"/collections/{api.json()['id']}/delete", {}, "/collections")
    assert deleted.status_code == 404
    assert _collections(surfaces.engine, "ada") == _collections(surfaces.engine, "bob")
