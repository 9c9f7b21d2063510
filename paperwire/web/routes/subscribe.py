"""Digest subscription pages and endpoints: /subscribe, the confirm, manage and unsubscribe links,
the RFC 8058 one-click POST, and ``POST /api/subscriptions``.

Every change is a POST: a link opened by a mail scanner's prefetch changes nothing. All the logic is
in ``paperwire.digests``; this module reads forms and renders.
"""

from __future__ import annotations

import logging
from typing import Any, Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field, StrictBool, ValidationError
from sqlalchemy.orm import Session
from starlette.responses import JSONResponse, PlainTextResponse, Response

from paperwire import ratelimit
from paperwire.config import Settings
from paperwire.db.models import Subscription, User
from paperwire.digests import delivery, subscriptions
from paperwire.digests.compose import render as render_digest
from paperwire.digests.subscriptions import MAX_TOPICS
from paperwire.errors import PaperwireError
from paperwire.mail.sender import DeliveryError, get_sender
from paperwire.web.auth import OptionalUser
from paperwire.web.deps import SessionDep, SettingsDep, client_address
from paperwire.web.forms import form_fields
from paperwire.web.inputs import Line, Lines
from paperwire.web.templating import render

router = APIRouter()
log = logging.getLogger(__name__)


class SubscriptionCreate(BaseModel):
    email: Lines = Field(max_length=320)  # line breaks get clean_address's own refusal
    frequency: Literal["daily", "weekly"] = "daily"
    topics: list[Line] = Field(default_factory=list, max_length=MAX_TOPICS)
    categories: list[Line] = Field(default_factory=list, max_length=MAX_TOPICS)
    skip_empty: StrictBool = False


def _subscribe(
    session: Session,
    settings: Settings,
    request: Request,
    data: SubscriptionCreate,
    member: User | None = None,
) -> None:
    prefs = subscriptions.preferences(data.frequency, data.topics, data.categories, data.skip_empty)
    ratelimit.hit(session, "subscribe", client_address(request))
    session.commit()
    # A member subscribing their own account's address sees the digest in their settings.
    own = (
        member is not None
        and member.email_verified_at is not None
        and data.email.strip().lower() == member.email
    )
    try:
        subscriptions.subscribe(
            session,
            settings,
            get_sender(settings),
            data.email,
            prefs,
            user_id=member.id if own and member is not None else None,
        )
    except DeliveryError as exc:
        # Answering differently when a mail bounces would tell who exists; the log keeps it.
        log.warning("confirmation e-mail not sent: %s", exc)


@router.post("/api/subscriptions", status_code=202)
def api_subscribe(
    data: SubscriptionCreate, request: Request, session: SessionDep, settings: SettingsDep
) -> JSONResponse:
    """Always 202 for a well-formed request, whether or not the address was already known."""
    _subscribe(session, settings, request, data)
    return JSONResponse(
        {
            "status": "accepted",
            "message": "if the address is valid, a confirmation e-mail is on its way",
        },
        status_code=202,
    )


def _lines(text: str) -> list[str]:
    return [part.strip() for part in text.replace(",", "\n").splitlines() if part.strip()]


@router.get("/subscribe")
def subscribe_page(request: Request) -> Response:
    return render(request, "subscribe.html", {"form": {}, "error": None, "done": False})


@router.post("/subscribe")
async def subscribe_form(
    request: Request, session: SessionDep, settings: SettingsDep, user: OptionalUser
) -> Response:
    values = await form_fields(request)
    try:
        data = SubscriptionCreate(
            email=values.get("email", "")[:320],
            frequency=values.get("frequency", "daily"),  # type: ignore[arg-type]  # checked here
            topics=[line for line in values.get("topics", "").splitlines() if line.strip()],
            categories=_lines(values.get("categories", "")),
            skip_empty=values.get("skip_empty") == "on",
        )
        _subscribe(session, settings, request, data, user)
    except ValidationError as exc:  # an unknown frequency, a tab inside one topic line
        problem = exc.errors()[0]
        where = ".".join(str(part) for part in problem["loc"])
        error = f"{where}: {problem['msg']}"
        context = {"form": values, "error": error, "done": False}
        return render(request, "subscribe.html", context, status_code=422)
    except PaperwireError as exc:
        if exc.http_status == 429:
            raise
        return render(
            request,
            "subscribe.html",
            {"form": values, "error": str(exc), "done": False},
            status_code=exc.http_status,
        )
    return render(request, "subscribe.html", {"form": {}, "error": None, "done": True})


@router.get("/subscribe/confirm/{token}")
def confirm_page(
    token: str, request: Request, session: SessionDep, settings: SettingsDep
) -> Response:
    sub = subscriptions.from_token(session, settings, token, "confirm")
    return render(request, "subscribe_confirm.html", {"sub": sub, "token": token, "done": False})


@router.post("/subscribe/confirm/{token}")
def confirm(token: str, request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    sub = subscriptions.confirm(session, settings, token)
    manage = subscriptions.link(settings, sub, "manage")
    return render(request, "subscribe_confirm.html", {"sub": sub, "manage": manage, "done": True})


def _manage_context(
    settings: Settings, sub: Subscription, token: str, **extra: Any
) -> dict[str, Any]:
    return {
        "sub": sub,
        "token": token,
        "topics": "\n".join(sub.topics or []),
        "categories": ", ".join(sub.categories or []),
        "message": None,
        **extra,
    }


@router.get("/subscribe/manage/{token}")
def manage_page(
    token: str, request: Request, session: SessionDep, settings: SettingsDep
) -> Response:
    sub = subscriptions.from_token(session, settings, token, "manage")
    return render(request, "subscribe_manage.html", _manage_context(settings, sub, token))


@router.post("/subscribe/manage/{token}")
async def manage(
    token: str, request: Request, session: SessionDep, settings: SettingsDep
) -> Response:
    sub = subscriptions.from_token(session, settings, token, "manage")
    form = await form_fields(request)
    if form.get("action") == "unsubscribe":
        subscriptions.unsubscribe(session, sub)
        return render(request, "subscribe_unsubscribed.html", {"sub": sub})
    prefs = subscriptions.preferences(
        form.get("frequency", sub.frequency),
        [line for line in form.get("topics", "").splitlines() if line.strip()],
        _lines(form.get("categories", "")),
        form.get("skip_empty") == "on",
    )
    paused = {"pause": True, "resume": False}.get(form.get("action", ""))
    subscriptions.update(session, sub, prefs, paused=paused)
    return render(
        request,
        "subscribe_manage.html",
        _manage_context(settings, sub, token, message="Your digest settings are saved."),
    )


@router.get("/subscribe/manage/{token}/preview")
def preview(token: str, session: SessionDep, settings: SettingsDep, request: Request) -> Response:
    """The subscriber's next digest as it would arrive, in the browser; nothing is recorded."""
    sub = subscriptions.from_token(session, settings, token, "manage")
    digest = delivery.preview(settings, request.app.state.engine, sub.email)
    links = {
        "manage": subscriptions.link(settings, sub, "manage"),
        "unsubscribe": subscriptions.link(settings, sub, "unsubscribe"),
    }
    _, _, html = render_digest(settings, digest, links)
    return Response(html, media_type="text/html")


@router.get("/subscribe/unsubscribe/{token}")
def unsubscribe_page(
    token: str, request: Request, session: SessionDep, settings: SettingsDep
) -> Response:
    sub = subscriptions.from_token(session, settings, token, "unsubscribe")
    if sub.status == "unsubscribed":
        return render(request, "subscribe_unsubscribed.html", {"sub": sub})
    return render(request, "subscribe_unsubscribe.html", {"sub": sub, "token": token})


@router.post("/subscribe/unsubscribe/{token}")
def unsubscribe(
    token: str, request: Request, session: SessionDep, settings: SettingsDep
) -> Response:
    """RFC 8058 one-click (body ``List-Unsubscribe=One-Click``) and the page's button alike."""
    sub = subscriptions.from_token(session, settings, token, "unsubscribe")
    subscriptions.unsubscribe(session, sub)
    if "text/html" not in request.headers.get("accept", ""):
        return PlainTextResponse("unsubscribed\n")
    return render(request, "subscribe_unsubscribed.html", {"sub": sub})
