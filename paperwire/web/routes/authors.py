"""Author pages (``/authors/{slug}`` and its Atom feed), claiming one, following authors, categories
and keyphrases (``POST /follows``), and moderators deciding claims (listed on ``/moderation``), one
by one or all of a member's at once."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from paperwire.authors import claims
from paperwire.authors.pages import author_page
from paperwire.community import follows
from paperwire.feeds.atom import FeedInfo, atom_feed, last_modified
from paperwire.feeds.conditional import Document
from paperwire.web import auth
from paperwire.web.auth import CurrentUser, ModeratorUser
from paperwire.web.deps import SessionDep, SettingsDep
from paperwire.web.forms import FormFields, back
from paperwire.web.inputs import RowId
from paperwire.web.templating import author_url, render

router = APIRouter()


@router.get("/authors/{slug}.atom", name="author_feed", include_in_schema=False)
def author_feed(
    request: Request, slug: str, session: SessionDep, settings: SettingsDep
) -> Response:
    page = author_page(session, slug)
    url = settings.base_url + author_url(page.author.slug)
    info = FeedInfo(
        title=f"{page.author.name} · papers",
        subtitle=f"Papers by {page.author.name}, newest first",
        feed_url=url + ".atom",
        page_url=url,
    )
    body = atom_feed(info, page.papers, settings.base_url)
    atom = "application/atom+xml; charset=utf-8"
    return Document(body, atom, last_modified(page.papers)).response(request)


@router.get("/authors/{slug}", name="author")
def author(request: Request, slug: str, session: SessionDep, viewer: auth.OptionalUser) -> Response:
    page = author_page(session, slug, viewer_id=viewer.id if viewer else None)
    if page.author.slug != slug:  # another spelling: the page lives under its one slug
        return RedirectResponse(author_url(page.author.slug), status_code=307)
    return render(request, "author.html", {"page": page, "author": page.author})


@router.post("/authors/{slug}/claim")
def claim(
    request: Request,
    slug: str,
    db: SessionDep,
    settings: SettingsDep,
    user: CurrentUser,
    form: FormFields,
) -> Response:
    made = claims.request_claim(db, settings, user, slug)
    return RedirectResponse(author_url(made.slug) + "#claim", status_code=303)


@router.post("/follows")
def follow(request: Request, db: SessionDep, user: CurrentUser, form: FormFields) -> Response:
    """Follow (``action=follow``, the default) or unfollow (``action=unfollow``) the ``kind``
    (author, category, keyphrase) named ``value``; back to ``next``."""
    kind, value = form.get("kind", ""), form.get("value", "")
    if form.get("action") == "unfollow":
        follows.unfollow(db, user, kind, value)
    else:
        follows.follow(db, user, kind, value)
    return back("/settings", form.get("next"))


@router.post("/moderation/claims/clear")
def clear(request: Request, db: SessionDep, user: ModeratorUser, form: FormFields) -> Response:
    """Refuse every claim of the member named ``member`` (squatted author pages)."""
    claims.clear_claims(db, user, form.get("member", ""))
    return RedirectResponse("/moderation#claims-title", status_code=303)


@router.post("/moderation/claims/{claim_id}")
def decide(
    request: Request, claim_id: RowId, db: SessionDep, user: ModeratorUser, form: FormFields
) -> Response:
    decided = claims.decide_claim(db, user, claim_id, form.get("decision") == "approve")
    return RedirectResponse(f"/moderation#claims-{quote(decided.slug)}", status_code=303)
