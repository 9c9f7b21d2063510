"""What each MCP tool answers: the JSON API's answer to the same request, from the same service
function and the same renderer (``web/api/schemas.py``), nothing computed here.

| tool | the API's request |
|---|---|
| ``daily_papers`` | ``GET /api/daily_papers`` |
| ``search_papers`` | ``GET /api/search`` |
| ``get_paper`` | ``GET /papers/{id}.md`` |
| ``similar_papers`` | ``GET /api/papers/{id}/similar`` |
| ``trending`` | ``GET /papers/trending.jsonl`` (each line one paper) |
| ``author`` | ``GET /api/authors/{slug}`` |
| ``for_you`` | ``GET /api/me/feed`` |
| ``collections`` | ``GET /api/members/{you}/collections`` |
| ``add_to_collection`` | ``PUT /api/collections/{id}/papers/{paper}`` |
| ``upvote`` | ``POST`` / ``DELETE /api/papers/{id}/vote`` |
| ``note`` | ``GET`` / ``PUT /api/papers/{id}/note`` |

Every function here does database work and is called in a worker thread (``server.py``); each
runs in one unit of work (``session_scope``: committed once, nothing on a refusal). A ``limit``
beyond the API's maximum is brought down to it (``LIMITS``: the maxima of the API's parameters,
held equal to the OpenAPI document by a test).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

import orjson
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from paperwire.accounts.tokens import user_for_token
from paperwire.authors.pages import author_page
from paperwire.community import collections, notes
from paperwire.config import Settings
from paperwire.db.engine import session_scope
from paperwire.db.models import User
from paperwire.errors import NotSignedIn, PaperNotFound
from paperwire.feeds.lists import FEED_SIZE
from paperwire.papers import votes
from paperwire.papers.ids import canonical_id
from paperwire.papers.listing import daily_papers as list_daily
from paperwire.papers.listing import parse_period
from paperwire.papers.markdown import paper_markdown
from paperwire.papers.readmodel import load_paper
from paperwire.papers.trending import trending as rank_trending
from paperwire.recommend.feed import MAX_LIMIT as FEED_MAX
from paperwire.recommend.feed import for_you as rank_for_you
from paperwire.search import service
from paperwire.search.similar import similar
from paperwire.web.api.collections import _public as collection_public
from paperwire.web.api.feed import FeedItemPublic
from paperwire.web.api.schemas import (
    AuthorPagePublic,
    SearchPagePublic,
    VotePublic,
    daily_dict,
    hf_time,
    paper_dict,
)

# The most each list gives, as the API's ``limit`` parameters allow (``trending`` as its feed).
LIMITS = {
    "daily_papers": 100,
    "search_papers": 100,
    "similar_papers": 50,
    "trending": FEED_SIZE,
    "for_you": FEED_MAX,
}
NO_TOKEN = (
    "{tool} acts for a member and needs their API token: none was sent. Over HTTP send "
    "'Authorization: Bearer <token>'; for 'paperwire mcp' set PAPERWIRE_MCP_TOKEN. A member "
    "makes one in their settings (or 'paperwire user token NAME')."
)
BAD_TOKEN = "{tool}: the API token is not valid or has been revoked"


@dataclass(frozen=True)
class Backend:
    """What every tool needs: the instance's settings and database."""

    settings: Settings
    engine: Engine


def capped(tool: str, limit: int) -> int:
    return min(limit, LIMITS[tool])


def member(session: Session, tool: str, token: str | None) -> User:
    """The member ``token`` (a JSON API token) belongs to; ``NotSignedIn`` naming what is missing."""
    if not token:
        raise NotSignedIn(NO_TOKEN.format(tool=tool))
    user = user_for_token(session, token)
    if user is None or not user.is_active:
        raise NotSignedIn(BAD_TOKEN.format(tool=tool))
    return user


def daily_papers(
    backend: Backend,
    *,
    date: str | None,
    week: str | None,
    month: str | None,
    sort: Literal["publishedAt", "trending"],
    page: int,
    limit: int,
) -> dict[str, Any]:
    period = parse_period(date, week, month)
    with Session(backend.engine) as session:
        found = list_daily(
            session, period=period, sort=sort, page=page, limit=capped("daily_papers", limit)
        )
        return {"papers": [daily_dict(item) for item in found]}


def search_papers(
    backend: Backend,
    *,
    query: str,
    mode: str,
    sort: str,
    since: date | None,
    until: date | None,
    categories: list[str],
    page: int,
    limit: int,
) -> dict[str, Any]:
    found = service.search(
        backend.settings,
        backend.engine,
        query,
        mode=mode,
        sort=sort,
        date_from=since,
        date_to=until,
        categories=categories,
        page=page,
        limit=capped("search_papers", limit),
    )
    return SearchPagePublic.of(found).model_dump(mode="json")


def get_paper(backend: Backend, *, paper_id: str) -> str:
    canonical = canonical_id(paper_id)
    with Session(backend.engine) as session:
        detail = load_paper(session, canonical)
    if detail is None:
        raise PaperNotFound(f"There is no paper {paper_id} here (yet).")
    return paper_markdown(detail, f"{backend.settings.base_url}/papers/{canonical}")


def similar_papers(backend: Backend, *, paper_id: str, limit: int) -> dict[str, Any]:
    found = similar(
        backend.settings,
        backend.engine,
        canonical_id(paper_id),
        limit=capped("similar_papers", limit),
    )
    return {"papers": [daily_dict(r.paper) for r in found]}


def trending(backend: Backend, *, limit: int) -> dict[str, Any]:
    with Session(backend.engine) as session:
        ranked = rank_trending(session, limit=capped("trending", limit))
        return {"papers": [paper_dict(item.card) for item in ranked]}


def author(backend: Backend, *, name: str) -> dict[str, Any]:
    with Session(backend.engine) as session:
        page = AuthorPagePublic.of(author_page(session, name))
    answer: dict[str, Any] = orjson.loads(page.model_dump_json(exclude_none=True))
    return answer


def for_you(
    backend: Backend,
    token: str | None,
    *,
    period: Literal["day", "week", "month"],
    date: date | None,
    limit: int,
) -> dict[str, Any]:
    with session_scope(backend.engine) as session:
        user = member(session, "for_you", token)
        found = rank_for_you(
            backend.settings,
            session,
            user,
            period=period,
            day=date,
            limit=capped("for_you", limit),
        )
        items = [
            FeedItemPublic.of_item(i).model_dump(mode="json", exclude_none=True)
            for i in found.items
        ]
        return {"papers": items}


def my_collections(backend: Backend, token: str | None) -> dict[str, Any]:
    with session_scope(backend.engine) as session:
        user = member(session, "collections", token)
        found = collections.member_collections(session, user.username, user)
        return {"collections": [collection_public(s).model_dump(mode="json") for s in found]}


def add_to_collection(
    backend: Backend, token: str | None, *, collection_id: int, paper_id: str
) -> dict[str, Any]:
    with session_scope(backend.engine) as session:
        user = member(session, "add_to_collection", token)
        pid = canonical_id(paper_id)
        added = collections.add_paper(session, user, collection_id, pid)
        return {"collection": collection_id, "paperId": pid, "added": added}


def upvote(backend: Backend, token: str | None, *, paper_id: str, undo: bool) -> dict[str, Any]:
    with session_scope(backend.engine) as session:
        user = member(session, "upvote", token)
        pid = canonical_id(paper_id)
        if undo:
            result = votes.retract_vote(session, user.id, pid)
        else:
            result = votes.cast_vote(session, user.id, pid)
        public = VotePublic(paperId=result.paper_id, voted=result.voted, upvotes=result.upvotes)
        return public.model_dump(mode="json")


def note(backend: Backend, token: str | None, *, paper_id: str, body: str | None) -> dict[str, Any]:
    """The member's note on a paper; with ``body``, written first (empty: deleted)."""
    with session_scope(backend.engine) as session:
        user = member(session, "note", token)
        pid = canonical_id(paper_id)
        if body is None:
            found = notes.get_note(session, user, pid)
        else:
            found = notes.save_note(session, user, pid, body)
        if found is None:
            return {"paperId": pid, "note": None}
        return {
            "paperId": pid,
            "note": found.body,
            "html": found.html,
            "updatedAt": hf_time(found.updated_at),
        }
