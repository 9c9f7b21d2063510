"""Collections over the API: a member's collections and one collection's papers (as the asking
member may see them: public ones, and all of their own), and for the owner, create, change, delete
and add or remove papers. The rules are ``community.collections``'s, as on the pages."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from starlette.responses import Response

from paperwire.community import collections
from paperwire.community.collections import CollectionSummary
from paperwire.db.models import Collection, User
from paperwire.papers.ids import canonical_id
from paperwire.web.api.hf import PaperId
from paperwire.web.api.own import MEMBER_ERRORS
from paperwire.web.api.schemas import (
    CollectionChange,
    CollectionCreate,
    CollectionPublic,
    DailyPaperPublic,
    daily_json,
    hf_time,
)
from paperwire.web.auth import CurrentUser, OptionalUser
from paperwire.web.deps import SessionDep
from paperwire.web.inputs import Line, RowId

router = APIRouter(prefix="/api", tags=["members"], responses=MEMBER_ERRORS)
CollectionId = RowId
Name = Annotated[Line, Path(max_length=64)]
Slug = Annotated[Line, Path(max_length=200)]


def _public(summary: CollectionSummary) -> CollectionPublic:
    return CollectionPublic(
        id=summary.id,
        owner=summary.owner,
        name=summary.name,
        slug=summary.slug,
        description=summary.description,
        isPublic=summary.is_public,
        numPapers=summary.paper_count,
        updatedAt=hf_time(summary.updated_at) or "",
        feed=f"/collections/{summary.owner}/{summary.slug}/papers.atom",
    )


def _own(collection: Collection, owner: User, count: int) -> CollectionPublic:
    return _public(
        CollectionSummary(
            id=collection.id,
            owner=owner.username,
            name=collection.name,
            slug=collection.slug,
            description=collection.description,
            is_public=collection.is_public,
            paper_count=count,
            updated_at=collection.updated_at,
        )
    )


@router.get(
    "/members/{username}/collections",
    response_model=list[CollectionPublic],
    summary="A member's collections (public ones, or all of your own)",
)
def member_collections(
    username: Name, session: SessionDep, viewer: OptionalUser
) -> list[CollectionPublic]:
    return [_public(s) for s in collections.member_collections(session, username, viewer)]


@router.get(
    "/members/{username}/collections/{slug}",
    response_model=list[DailyPaperPublic],
    response_model_exclude_none=True,
    summary="The papers of a collection, newest addition first",
)
def collection_papers(
    username: Name, slug: Slug, session: SessionDep, viewer: OptionalUser
) -> Response:
    page = collections.collection_page(session, username, slug, viewer)
    return daily_json(page.papers)


@router.post(
    "/collections", response_model=CollectionPublic, status_code=201, summary="New collection"
)
def create(body: CollectionCreate, session: SessionDep, user: CurrentUser) -> CollectionPublic:
    collection = collections.create_collection(
        session, user, body.name, description=body.description, is_public=body.isPublic
    )
    return _own(collection, user, 0)


@router.patch(
    "/collections/{collection_id:int}",
    response_model=CollectionPublic,
    summary="Rename, describe, or make public or private",
)
def change(
    collection_id: CollectionId, body: CollectionChange, session: SessionDep, user: CurrentUser
) -> CollectionPublic:
    collection = collections.update_collection(
        session,
        user,
        collection_id,
        name=body.name,
        description=body.description,
        is_public=body.isPublic,
    )
    return _public(
        next(
            s
            for s in collections.member_collections(session, user.username, user)
            if s.id == collection.id
        )
    )


@router.delete("/collections/{collection_id:int}", status_code=204, summary="Delete a collection")
def delete(collection_id: CollectionId, session: SessionDep, user: CurrentUser) -> Response:
    collections.delete_collection(session, user, collection_id)
    return Response(status_code=204)


@router.put(
    "/collections/{collection_id:int}/papers/{paper_id:paper_id}",
    status_code=204,
    summary="Add a paper (adding twice changes nothing)",
)
def add_paper(
    collection_id: CollectionId, paper_id: PaperId, session: SessionDep, user: CurrentUser
) -> Response:
    collections.add_paper(session, user, collection_id, canonical_id(paper_id))
    return Response(status_code=204)


@router.delete(
    "/collections/{collection_id:int}/papers/{paper_id:paper_id}",
    status_code=204,
    summary="Remove a paper",
)
def remove_paper(
    collection_id: CollectionId, paper_id: PaperId, session: SessionDep, user: CurrentUser
) -> Response:
    collections.remove_paper(session, user, collection_id, canonical_id(paper_id))
    return Response(status_code=204)
