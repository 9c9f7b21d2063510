"""``GET /api/authors/{slug}``: an author page's data as JSON (the page's own data path)."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import Response

from paperwire.authors.pages import author_page
from paperwire.web.api.hf import ERRORS
from paperwire.web.api.schemas import AuthorPagePublic
from paperwire.web.deps import SessionDep

router = APIRouter(tags=["paperwire"], responses=ERRORS)


@router.get(
    "/api/authors/{slug}",
    response_model=AuthorPagePublic,
    response_model_exclude_none=True,
    summary="An author: their papers (newest first), co-authors, categories, claim",
)
def author(slug: str, session: SessionDep) -> Response:
    body = AuthorPagePublic.of(author_page(session, slug)).model_dump_json(exclude_none=True)
    return Response(body, media_type="application/json")
