"""Digest subscription pages: /subscribe, the confirm, manage and unsubscribe links, and the
RFC 8058 one-click POST (``POST /api/subscriptions`` is the API's, in ``web.api.subscriptions``).

Every change is a POST: a link opened by a mail scanner's prefetch changes nothing. All the logic is
in ``paperwire.digests``; this module reads forms and renders.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, Request
from pydantic import ValidationError
from starlette.responses import PlainTextResponse, Response

from paperwire.config import Settings
from paperwire.db.models import Subscription
from paperwire.digests import delivery, subscriptions
from paperwire.digests.compose import render as render_digest
from paperwire.errors import PaperwireError
from paperwire.web.api.schemas import SubscriptionCreate
from paperwire.web.auth import OptionalUser
from paperwire.web.deps import SessionDep, SettingsDep, client_address
from paperwire.web.forms import FormFields
from paperwire.web.templating import render

router = APIRouter()
log = logging.getLogger(__name__)


def _lines(text: str) -> list[str]:
    return [part.strip() for part in text.replace(",", "\n").splitlines() if part.strip()]


@router.get("/subscribe")
def subscribe_page(request: Request) -> Response:
    return render(request, "subscribe.html", {"form": {}, "error": None, "done": False})


@router.post("/subscribe")
def subscribe_form(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    user: OptionalUser,
    values: FormFields,
) -> Response:
    try:
        data = SubscriptionCreate(
            email=values.get("email", "")[:320],
            frequency=values.get("frequency", "daily"),  # type: ignore[arg-type]  # checked here
            topics=[line for line in values.get("topics", "").splitlines() if line.strip()],
            categories=_lines(values.get("categories", "")),
            skip_empty=values.get("skip_empty") == "on",
        )
        subscriptions.request_subscription(
            session,
            settings,
            data.email,
            data.preferences(),
            client=client_address(request),
            member=user,
        )
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
def manage(
    token: str, request: Request, session: SessionDep, settings: SettingsDep, form: FormFields
) -> Response:
    sub = subscriptions.from_token(session, settings, token, "manage")
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
