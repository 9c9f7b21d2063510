"""The "For you" pages: ``/for-you`` (the member's ranked day, week or month, each paper with its
reason and more-like-this / not-interested forms), ``/for-you/signals`` (what paperwire uses, each
removable), ``/for-you/import`` (a BibTeX or CSL-JSON library), the reset, and the private Atom feed
at ``/for-you/feed/{secret}.atom``. Every action is a form POST that redirects back;
``static/foryou.js`` posts the feedback forms in place when JavaScript runs."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, RedirectResponse
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.responses import Response

from paperwire.config import Settings
from paperwire.db.models import User
from paperwire.errors import PaperwireError
from paperwire.feeds.atom import FeedInfo, atom_feed, last_modified
from paperwire.feeds.conditional import Document
from paperwire.recommend import feedback, library, private
from paperwire.recommend.feed import BUDGET, PERIODS, Period, for_you
from paperwire.recommend.signals import collect
from paperwire.web.auth import CurrentUser
from paperwire.web.bodylimit import UPLOAD_PATHS
from paperwire.web.deps import SessionDep, SettingsDep
from paperwire.web.forms import FormFields, back
from paperwire.web.offload import IMPORTS
from paperwire.web.routes.pages import parse_list_date
from paperwire.web.templating import render

router = APIRouter(include_in_schema=False)
# A library file may be larger than any form: room for the file and the multipart framing.
UPLOAD_PATHS["/for-you/import"] = library.MAX_BYTES + 64 * 1024


def _period(value: str | None) -> Period:
    for period in PERIODS:
        if value == period:
            return period
    return "day"


@router.get("/for-you", name="for_you")
def for_you_page(
    request: Request,
    db: SessionDep,
    settings: SettingsDep,
    user: CurrentUser,
    period: str | None = None,
    date: str | None = None,
    read: str = "",
) -> Response:
    day = parse_list_date(date) if date else None
    hide = read == "hide"
    found = for_you(settings, db, user, period=_period(period), day=day, limit=50, hide_read=hide)
    context = {
        "feed": found,
        "active": "for-you",
        "budget": BUDGET,
        "latest": day is None,
        "read_hidden": hide,
    }
    return render(request, "foryou.html", context)


@router.post("/for-you/feedback")
def give_feedback(
    request: Request, db: SessionDep, user: CurrentUser, form: FormFields
) -> Response:
    """``signal`` (more_like_this | not_interested) on ``paper``; ``action=take_back`` undoes it."""
    paper, signal = form.get("paper", ""), form.get("signal", "")
    if form.get("action") == "take_back":
        feedback.take_back(db, user, paper, signal)
        given = False
    else:
        feedback.give_feedback(db, user, paper, signal)
        given = True
    if "application/json" in request.headers.get("accept", ""):
        return JSONResponse({"paper": paper, "signal": signal, "given": given})
    return back("/for-you", form.get("next"))


@router.post("/for-you/topics")
def add_topics(
    request: Request, db: SessionDep, settings: SettingsDep, user: CurrentUser, form: FormFields
) -> Response:
    feedback.add_topics(settings, db, user, form.get("topics", ""))
    return back("/for-you", form.get("next"))


@router.post("/for-you/reset")
def reset(db: SessionDep, user: CurrentUser) -> Response:
    feedback.reset(db, user)
    return RedirectResponse("/for-you", status_code=303)


def _signals_page(
    request: Request, db: SessionDep, user: User, status: int = 200, **extra: object
) -> Response:
    context = {
        "signals": collect(db, user.id),
        "has_feed": private.has_feed_secret(db, user),
        "active": "for-you",
        **extra,
    }
    return render(request, "foryou_signals.html", context, status_code=status)


@router.get("/for-you/signals", name="for_you_signals")
def signals_page(request: Request, db: SessionDep, user: CurrentUser) -> Response:
    return _signals_page(request, db, user)


@router.post("/for-you/signals/remove")
def remove_signal(
    request: Request, db: SessionDep, user: CurrentUser, form: FormFields
) -> Response:
    feedback.remove_signal(db, user, form.get("key", ""))
    return RedirectResponse("/for-you/signals", status_code=303)


@router.post("/for-you/private-feed")
def make_private_feed(
    request: Request, db: SessionDep, settings: SettingsDep, user: CurrentUser
) -> Response:
    secret = private.make_feed_secret(db, user)
    url = f"{settings.base_url}/for-you/feed/{secret}.atom"
    return _signals_page(request, db, user, feed_url=url)


@router.post("/for-you/private-feed/revoke")
def revoke_private_feed(db: SessionDep, user: CurrentUser) -> Response:
    private.revoke_feed_secret(db, user)
    return RedirectResponse("/for-you/signals", status_code=303)


@router.get("/for-you/feed/{secret}.atom", name="for_you_feed")
def private_feed(request: Request, secret: str, db: SessionDep, settings: SettingsDep) -> Response:
    """The member's day ranked for them, to anyone holding the secret URL (a feed reader)."""
    user = private.user_for_feed_secret(db, secret)
    if user is None:
        raise HTTPException(404)
    found = for_you(settings, db, user, period="day", limit=50)
    items = [item.paper for item in found.items]
    info = FeedInfo(
        title=f"For {user.username}: {found.title}",
        subtitle="Papers of the day ranked for you by paperwire",
        feed_url=f"{settings.base_url}/for-you/feed/{secret}.atom",
        page_url=f"{settings.base_url}/for-you",
    )
    body = atom_feed(info, items, settings.base_url)
    atom = "application/atom+xml; charset=utf-8"
    response = Document(body, atom, last_modified(items)).response(request)
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@router.get("/for-you/import", name="for_you_import")
def import_page(request: Request, user: CurrentUser) -> Response:
    return render(
        request, "foryou_import.html", {"report": None, "error": None, "active": "for-you"}
    )


async def library_upload(request: Request) -> bytes:
    """The posted library file's bytes (at most ``library.MAX_BYTES`` + 1, so a larger one is
    refused by the import), read on the event loop; empty when none was sent."""
    form = await request.form()
    upload = form.get("library")
    if isinstance(upload, UploadFile):
        return await upload.read(library.MAX_BYTES + 1)
    return b""


@router.post("/for-you/import")
async def import_library(
    request: Request,
    db: SessionDep,
    settings: SettingsDep,
    user: CurrentUser,
    content: Annotated[bytes, Depends(library_upload)],
) -> Response:
    """The file is parsed and its seeds embedded in the ``IMPORTS`` lane."""
    return await IMPORTS.run(_import_library, request, db, settings, user, content)


def _import_library(
    request: Request, db: Session, settings: Settings, user: User, content: bytes
) -> Response:
    try:
        if not content:
            raise library.LibraryRefused("choose a BibTeX (.bib) or CSL-JSON (.json) file")
        report = library.import_library(settings, db, user, content)
    except PaperwireError as exc:
        db.rollback()
        context = {"report": None, "error": str(exc), "active": "for-you"}
        return render(request, "foryou_import.html", context, status_code=exc.http_status)
    return render(
        request, "foryou_import.html", {"report": report, "error": None, "active": "for-you"}
    )
