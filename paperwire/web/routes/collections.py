"""Collection pages: a member's collections (``/collections``, ``/collections/{member}``), one
collection (``/collections/{member}/{slug}``), and the forms that change them. The rules live in
``paperwire.community.collections``; these routes read forms and redirect after each change."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from paperwire.community import collections
from paperwire.db.models import Collection
from paperwire.errors import UsageError
from paperwire.web import auth
from paperwire.web.deps import SessionDep
from paperwire.web.forms import FormFields, back
from paperwire.web.inputs import RowId, form_number
from paperwire.web.templating import paper_url, render

router = APIRouter()


def collection_url(owner: str, slug: str) -> str:
    return f"/collections/{owner}/{slug}"


@router.get("/collections", name="my_collections")
def my_collections(request: Request, db: SessionDep, user: auth.CurrentUser) -> Response:
    listing = collections.member_collections(db, user.username, user)
    return render(
        request, "collections.html", {"owner": user.username, "listing": listing, "mine": True}
    )


@router.post("/collections")
def create(request: Request, db: SessionDep, user: auth.CurrentUser, form: FormFields) -> Response:
    paper = form.get("paper", "")
    created: Collection = collections.create_collection(
        db,
        user,
        form.get("name", ""),
        description=form.get("description", ""),
        is_public=form.get("public") == "on",
        paper_id=paper,
    )
    if paper:
        return back(paper_url(paper) + "#collections")
    return back(collection_url(user.username, created.slug))


@router.get("/collections/{username}", name="member_collections")
def member(request: Request, username: str, db: SessionDep, viewer: auth.OptionalUser) -> Response:
    listing = collections.member_collections(db, username, viewer)
    mine = viewer is not None and viewer.username == username
    return render(
        request, "collections.html", {"owner": username, "listing": listing, "mine": mine}
    )


@router.get("/collections/{username}/{slug}", name="collection")
def collection(
    request: Request, username: str, slug: str, db: SessionDep, viewer: auth.OptionalUser
) -> Response:
    page = collections.collection_page(db, username, slug, viewer)
    return render(request, "collection.html", {"page": page})


@router.post("/collections/{collection_id:int}/edit")
def edit(
    request: Request, collection_id: RowId, db: SessionDep, user: auth.CurrentUser, form: FormFields
) -> Response:
    changed = collections.update_collection(
        db,
        user,
        collection_id,
        name=form.get("name"),
        description=form.get("description"),
        is_public=form.get("public") == "on",
    )
    return back(collection_url(user.username, changed.slug))


@router.post("/collections/{collection_id:int}/delete")
def remove_collection(collection_id: RowId, db: SessionDep, user: auth.CurrentUser) -> Response:
    collections.delete_collection(db, user, collection_id)
    return back("/collections")


@router.post("/collections/add")
def add(request: Request, db: SessionDep, user: auth.CurrentUser, form: FormFields) -> Response:
    """The paper page's "Add to a collection": the collection is chosen in the form."""
    paper = form.get("paper", "")
    chosen = form.get("collection", "")
    if not chosen.strip():
        raise UsageError("Choose one of your collections.")
    collections.add_paper(db, user, form_number(chosen, "collection"), paper)
    return back(paper_url(paper) + "#collections", form.get("next"))


@router.post("/collections/{collection_id:int}/remove")
def remove(
    request: Request, collection_id: RowId, db: SessionDep, user: auth.CurrentUser, form: FormFields
) -> Response:
    collections.remove_paper(db, user, collection_id, form.get("paper", ""))
    return back("/", form.get("next"))
