"""The digest admin pages: recent sends and failures, bounced addresses with the server's answer, and
a browser preview of any subscriber's next digest. Read-only; reached by a signed admin link."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Request
from starlette.responses import Response

from paperwire.digests import delivery, subscriptions
from paperwire.digests.admin import check_admin_token
from paperwire.digests.compose import render as render_digest
from paperwire.web.deps import SessionDep, SettingsDep
from paperwire.web.templating import render

router = APIRouter()


@router.get("/admin/digests/{token}")
def digest_admin(
    token: str, request: Request, session: SessionDep, settings: SettingsDep
) -> Response:
    check_admin_token(settings, token)
    return render(
        request,
        "digest_admin.html",
        {
            "token": token,
            "deliveries": delivery.recent(session),
            "bounced": delivery.bounced(session),
        },
    )


@router.get("/admin/digests/{token}/preview")
def digest_preview(
    token: str,
    email: str,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    day: date | None = None,
) -> Response:
    check_admin_token(settings, token)
    digest = delivery.preview(settings, request.app.state.engine, email, day)
    sub = subscriptions.find(session, email)
    links = {
        "manage": subscriptions.link(settings, sub, "manage") if sub else "",
        "unsubscribe": subscriptions.link(settings, sub, "unsubscribe") if sub else "",
    }
    _, _, html = render_digest(settings, digest, links)
    return Response(html, media_type="text/html")
