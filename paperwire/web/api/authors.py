"""``GET /api/authors/{slug}``: an author page's data as JSON (the page's own data path)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from starlette.responses import Response

from paperwire.authors.pages import author_page
from paperwire.web.api.hf import ERRORS
from paperwire.web.api.schemas import AuthorPagePublic
from paperwire.web.deps import SessionDep

router = APIRouter(tags=["paperwire"], responses=ERRORS)

Slug = Annotated[
    str,
    Path(
        pattern=r"^[^\x00-\x1f\x7f/]+$",
        max_length=255,
        description="an author page's slug (zoe-muller), or any spelling of the name",
    ),
]


@router.get(
    "/api/authors/{slug}",
    response_model=AuthorPagePublic,
    response_model_exclude_none=True,
    summary="An author: their papers (newest first), co-authors, categories, claim",
)
def author(slug: Slug, session: SessionDep) -> Response:
    body = AuthorPagePublic.of(author_page(session, slug)).model_dump_json(exclude_none=True)
    return Response(body, media_type="application/json")
