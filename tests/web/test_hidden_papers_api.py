"""A hidden paper is, to every API route that names a paper, a paper that is not there: each answers
it exactly as it answers an id nobody ever stored (404, or "done" for taking away what is not
there), on SQLite and PostgreSQL.

The routes are read from the served OpenAPI document, so a new route with a ``{paper_id}`` is
checked without anyone remembering to add it here; ``BODY_PAPER`` lists the routes that name the
paper in their JSON body instead."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import Engine

from paperwire.accounts.tokens import create_token
from paperwire.db.engine import session_scope
from paperwire.db.models import User
from tests.web.members import add_member
from tests.web.served import Site

HIDDEN = "2406.00004"  # hidden by tests.web.served.load_sample
UNKNOWN = "2406.09999"
BODY_PAPER = {
    ("post", "/api/me/feedback"): lambda paper: {"paper": paper, "signal": "more_like_this"},
    ("delete", "/api/me/feedback"): lambda paper: {"paper": paper, "signal": "not_interested"},
}
BODIES: dict[tuple[str, str], dict[str, Any]] = {
    ("post", "/api/papers/{paper_id}/comments"): {"body": "Looks fine"},
    ("put", "/api/papers/{paper_id}/note"): {"body": "To read again"},
}


def _member_token(engine: Engine) -> str:
    add_member(engine, "ada")
    with session_scope(engine) as session:
        ada = session.query(User).filter_by(username="ada").one()
        return create_token(session, ada, "probe").secret


def _answers(api: httpx.Client, paper: str, collection: int) -> dict[str, int]:
    paths = api.get("/openapi.json").json()["paths"]
    answers = {}
    for path, operations in paths.items():
        for method in operations:
            key = (method, path)
            if "{paper_id}" in path:
                url = path.replace("{paper_id}", paper).replace("{collection_id}", str(collection))
                body = BODIES.get(key)
            elif key in BODY_PAPER:
                url, body = path, BODY_PAPER[key](paper)
            else:
                continue
            answers[f"{method.upper()} {path}"] = api.request(method, url, json=body).status_code
    return answers


def test_a_hidden_paper_is_not_found_on_every_api_route(site: Site, engine: Engine) -> None:
    headers = {"Authorization": f"Bearer {_member_token(engine)}"}
    with httpx.Client(base_url=site.url, headers=headers, timeout=30) as api:
        made = api.post("/api/collections", json={"name": "Reading"})
        assert made.status_code == 201, made.text
        collection = made.json()["id"]
        unknown = _answers(api, UNKNOWN, collection)
        hidden = _answers(api, HIDDEN, collection)
    assert {
        "GET /api/papers/{paper_id}",
        "GET /api/papers/{paper_id}/similar",
        "GET /api/papers/{paper_id}/comments",
        "POST /api/papers/{paper_id}/comments",
        "POST /api/papers/{paper_id}/vote",
        "DELETE /api/papers/{paper_id}/vote",
        "PUT /api/collections/{collection_id}/papers/{paper_id}",
        "DELETE /api/collections/{collection_id}/papers/{paper_id}",
        "POST /api/me/feedback",
        "DELETE /api/me/feedback",
    } <= set(unknown)
    # taking away what is not there is done (idempotent); every other route says 404
    undo = {
        "DELETE /api/collections/{collection_id}/papers/{paper_id}": 204,
        "DELETE /api/me/feedback": 200,
        "DELETE /api/papers/{paper_id}/note": 204,
        "DELETE /api/papers/{paper_id}/read": 200,
    }
    assert unknown == {route: undo.get(route, 404) for route in unknown}
    assert hidden == unknown


def test_a_hidden_paper_cannot_be_submitted_again(site: Site, engine: Engine) -> None:
    """Submitting it answered 200 with its title ("already in the daily list"): now 404, and the
    paper stays hidden and out of every list."""
    headers = {"Authorization": f"Bearer {_member_token(engine)}"}
    with httpx.Client(base_url=site.url, headers=headers, timeout=30) as api:
        title = api.get("/api/papers/2406.00001").json()["title"]
        listed = api.post("/api/submissions", json={"id": "2406.00001"})
        assert listed.status_code == 201 and listed.json()["title"] == title
        refused = api.post("/api/submissions", json={"id": f"https://arxiv.org/abs/{HIDDEN}"})
        assert refused.status_code == 404, refused.text
        assert "Delta" not in refused.text and HIDDEN in refused.text
        assert api.get(f"/api/papers/{HIDDEN}").status_code == 404
