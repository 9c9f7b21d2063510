"""paperwire's own endpoints under ``/api``: similar papers and search with filters (anyone), and,
for a member (session cookie or ``Authorization: Bearer`` token), who am I, votes, submissions and
saved searches. Each acts only for the member the request proves; nothing here takes a user id."""

from __future__ import annotations

from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, BackgroundTasks, Query, Request
from starlette.responses import Response

from paperwire.accounts.tokens import user_for_token
from paperwire.community import saved_searches
from paperwire.db.models import SavedSearch
from paperwire.ingest.submit import member_submission, refresh_index
from paperwire.papers import votes
from paperwire.papers.ids import canonical_id
from paperwire.search import service
from paperwire.search.similar import similar
from paperwire.web.api.hf import ERRORS, PaperId
from paperwire.web.api.schemas import (
    DailyPaperPublic,
    ErrorPublic,
    MePublic,
    SavedSearchCreate,
    SavedSearchPublic,
    SearchPagePublic,
    SubmissionCreate,
    SubmissionPublic,
    VotePublic,
    daily_json,
    hf_time,
)
from paperwire.web.auth import CurrentUser, register_bearer_lookup
from paperwire.web.deps import SessionDep, SettingsDep
from paperwire.web.inputs import MAX_CATEGORIES, IsoDate, Line, RowId

MEMBER_ERRORS: dict[int | str, dict[str, Any]] = {
    **ERRORS,
    401: {"model": ErrorPublic, "description": "No valid session or API token"},
    403: {"model": ErrorPublic, "description": "Not allowed"},
}

# Personal tokens sign requests in for every member dependency (once, at import: a test may put
# its own lookup in place for the app it builds).
register_bearer_lookup(user_for_token)

router = APIRouter(prefix="/api", tags=["paperwire"], responses=ERRORS)
members = APIRouter(prefix="/api", tags=["members"], responses=MEMBER_ERRORS)


@router.get(
    "/papers/{paper_id:paper_id}/similar",
    response_model=list[DailyPaperPublic],
    response_model_exclude_none=True,
    summary="Papers like this one",
)
def similar_papers(
    request: Request,
    paper_id: PaperId,
    session: SessionDep,
    settings: SettingsDep,
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
) -> Response:
    found = similar(settings, request.app.state.engine, canonical_id(paper_id), limit=limit)
    return daily_json([r.paper for r in found])


@router.get("/search", response_model=SearchPagePublic, summary="Search with filters and sorting")
def search(
    request: Request,
    settings: SettingsDep,
    q: Annotated[Line, Query(max_length=250)] = "",
    mode: Literal["hybrid", "lexical", "semantic"] = "hybrid",
    sort: Literal["relevance", "date", "votes"] = "relevance",
    since: Annotated[IsoDate | None, Query(description="published on or after")] = None,
    until: Annotated[IsoDate | None, Query(description="published on or before")] = None,
    cat: Annotated[
        list[Line] | None, Query(max_length=MAX_CATEGORIES, description="arXiv category")
    ] = None,
    page: Annotated[int, Query(ge=1, le=1000)] = 1,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> SearchPagePublic:
    """Hybrid (or keyword, or meaning) search; page counts from 1. Impossible filters give an
    empty page with notes saying why, never an error."""
    found = service.search(
        settings,
        request.app.state.engine,
        q,
        mode=mode,
        sort=sort,
        date_from=since,
        date_to=until,
        categories=cat or (),
        page=page,
        limit=limit,
    )
    return SearchPagePublic.of(found)


@members.get("/me", response_model=MePublic, summary="The member this request acts for")
def me(user: CurrentUser) -> MePublic:
    return MePublic(username=user.username, role=user.role)


def _vote(session: SessionDep, user: CurrentUser, paper_id: str, cast: bool) -> VotePublic:
    pid = canonical_id(paper_id)
    result = (
        votes.cast_vote(session, user.id, pid)
        if cast
        else votes.retract_vote(session, user.id, pid)
    )
    return VotePublic(paperId=result.paper_id, voted=result.voted, upvotes=result.upvotes)


@members.post(
    "/papers/{paper_id:paper_id}/vote", response_model=VotePublic, summary="Upvote a paper"
)
def cast_vote(paper_id: PaperId, session: SessionDep, user: CurrentUser) -> VotePublic:
    """Idempotent: a second vote changes nothing."""
    return _vote(session, user, paper_id, cast=True)


@members.delete(
    "/papers/{paper_id:paper_id}/vote", response_model=VotePublic, summary="Take an upvote back"
)
def retract_vote(paper_id: PaperId, session: SessionDep, user: CurrentUser) -> VotePublic:
    return _vote(session, user, paper_id, cast=False)


@members.post(
    "/submissions",
    response_model=SubmissionPublic,
    status_code=201,
    summary="Submit a paper to today's daily list",
)
def submit(
    request: Request,
    body: SubmissionCreate,
    session: SessionDep,
    settings: SettingsDep,
    user: CurrentUser,
    background: BackgroundTasks,
) -> SubmissionPublic:
    """By arXiv id or URL; a paper already listed stays on its date (``added`` false). The search
    index catches up after the answer, as for the site's /submit."""
    engine = request.app.state.engine
    result = member_submission(session, engine, settings, user, body.id)
    if result.added:
        background.add_task(refresh_index, settings, engine, result.paper_id)
    return SubmissionPublic(
        id=result.paper_id,
        title=result.title,
        dailyDate=result.list_date.isoformat(),
        added=result.added,
    )


def _saved(saved: SavedSearch) -> SavedSearchPublic:
    return SavedSearchPublic(
        id=saved.id,
        name=saved.name,
        query=saved.query,
        createdAt=hf_time(saved.created_at) or "",
        feed="/search.atom?" + urlencode({"q": saved.query}),
    )


@members.get(
    "/saved_searches", response_model=list[SavedSearchPublic], summary="Your saved searches"
)
def list_saved(session: SessionDep, user: CurrentUser) -> list[SavedSearchPublic]:
    return [_saved(s) for s in saved_searches.saved_searches(session, user)]


@members.post(
    "/saved_searches", response_model=SavedSearchPublic, status_code=201, summary="Save a search"
)
def create_saved(
    body: SavedSearchCreate, session: SessionDep, user: CurrentUser
) -> SavedSearchPublic:
    saved = saved_searches.save_search(session, user, body.name, body.query)
    return _saved(saved)


@members.delete("/saved_searches/{search_id}", status_code=204, summary="Delete a saved search")
def delete_saved(search_id: RowId, session: SessionDep, user: CurrentUser) -> Response:
    saved_searches.delete_saved_search(session, user, search_id)
    return Response(status_code=204)
