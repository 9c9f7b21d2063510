"""The Hugging Face-compatible read endpoints, same paths, parameters and JSON shapes as
huggingface.co, so ``HfApi(endpoint=...)`` works against paperwire unchanged:
``/api/daily_papers``, ``/api/papers/search``, ``/api/papers/{id}`` and ``/papers/{id}.md``."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import PlainTextResponse, RedirectResponse
from sqlalchemy.orm import Session
from starlette.responses import Response

from paperwire.errors import PaperNotFound
from paperwire.papers.ids import canonical_id
from paperwire.papers.listing import daily_papers, parse_period
from paperwire.papers.markdown import paper_markdown
from paperwire.papers.readmodel import PaperView, load_paper
from paperwire.search import service
from paperwire.web.api.answers import cached_json
from paperwire.web.api.schemas import DailyPaperPublic, ErrorPublic, PaperPublic, paper_json
from paperwire.web.convertors import PAPER_ID_REGEX
from paperwire.web.deps import SessionDep, SettingsDep
from paperwire.web.inputs import IsoDate, IsoWeek, Line, Month

ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorPublic, "description": "A parameter is malformed"},
    404: {"model": ErrorPublic, "description": "No such paper"},
    422: {"model": ErrorPublic, "description": "A parameter is missing or out of range"},
    429: {"model": ErrorPublic, "description": "Too many requests; see Retry-After"},
}

router = APIRouter(tags=["Hugging Face compatible"], responses=ERRORS)

PaperId = Annotated[
    str, Path(pattern=f"^{PAPER_ID_REGEX}$", description="arXiv id, e.g. 2403.04640")
]
MAX_QUERY = 250


@router.get(
    "/api/daily_papers",
    response_model=list[DailyPaperPublic],
    response_model_exclude_none=True,
    summary="Daily papers of a date, week or month",
)
async def list_daily_papers(
    request: Request,
    date: Annotated[IsoDate | None, Query(description="YYYY-MM-DD")] = None,
    week: Annotated[IsoWeek | None, Query(description="ISO week, YYYY-Www")] = None,
    month: Annotated[Month | None, Query(description="YYYY-MM")] = None,
    submitter: Annotated[
        Line | None, Query(description="user name of who submitted", max_length=64)
    ] = None,
    sort: Literal["publishedAt", "trending"] = "publishedAt",
    p: Annotated[int, Query(ge=0, le=100_000, description="page, from 0")] = 0,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
) -> Response:
    """Papers by the day they entered the daily list: newest list first and, within a day, most
    upvoted first; or by trending score. Without a period, every list."""
    period = parse_period(date.isoformat() if date else None, week, month)
    return await cached_json(
        request,
        lambda session: daily_papers(
            session, period=period, submitter=submitter, sort=sort, page=p, limit=limit
        ),
    )


@router.get(
    "/api/papers/search",
    response_model=list[DailyPaperPublic],
    response_model_exclude_none=True,
    summary="Search papers (hybrid: keywords and meaning)",
)
async def search_papers(
    request: Request,
    settings: SettingsDep,
    q: Annotated[Line | None, Query(max_length=MAX_QUERY, description="the query")] = None,
    limit: Annotated[int, Query(ge=1, le=120)] = 50,
) -> Response:
    """The best matches for ``q``, best first; without ``q``, the latest daily papers."""
    if not q or not q.strip():
        return await cached_json(request, lambda session: daily_papers(session, limit=limit))

    def found(_session: Session) -> list[PaperView]:
        engine = request.app.state.engine
        page = service.search(settings, engine, q, mode="hybrid", limit=limit, snippets=False)
        # search loaded the papers through the read model already: no second read
        return [result.paper for result in page.results]

    return await cached_json(request, found)


@router.get(
    "/api/papers/{paper_id:paper_id}",
    response_model=PaperPublic,
    response_model_exclude_none=True,
    summary="One paper",
)
def get_paper(paper_id: PaperId, session: SessionDep) -> Response:
    item = load_paper(session, canonical_id(paper_id))
    if item is None:
        raise PaperNotFound(f"no paper {paper_id} here")
    return paper_json(item)


@router.get(
    "/papers/{paper_id:paper_id}.md",
    response_class=PlainTextResponse,
    summary="One paper as Markdown",
    responses={
        200: {"content": {"text/markdown": {"schema": {"type": "string"}}}},
        301: {"description": "a versioned id redirects to the paper's one address"},
        404: {"description": "No such paper", "content": {"text/html": {}}},
    },
)
def read_paper(
    request: Request, paper_id: PaperId, session: SessionDep, settings: SettingsDep
) -> Response:
    canonical = canonical_id(paper_id)
    if canonical != paper_id:
        return RedirectResponse(f"/papers/{canonical}.md", status_code=301)
    detail = load_paper(session, canonical)
    if detail is None:
        raise PaperNotFound(f"There is no paper {paper_id} here (yet).")
    text = paper_markdown(detail, f"{settings.base_url}/papers/{canonical}")
    return PlainTextResponse(text, media_type="text/markdown; charset=utf-8")
