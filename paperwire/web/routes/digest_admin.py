"""The digest admin pages: recent sends and failures, bounced addresses with the server's answer, and
a browser preview of any subscriber's next digest. Read-only; open to a signed-in admin at
``/admin/digests``, and through the signed link of ``paperwire digest admin-link``."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Request
from sqlalchemy.orm import Session
from starlette.responses import Response

from paperwire.config import Settings
from paperwire.digests import delivery, subscriptions
from paperwire.digests.admin import check_admin_token
from paperwire.digests.compose import render as render_digest
from paperwire.web.auth import AdminUser
from paperwire.web.deps import SessionDep, SettingsDep
from paperwire.web.inputs import IsoDate
from paperwire.web.templating import render

router = APIRouter()


def _page(request: Request, session: Session, preview_url: str) -> Response:
    return render(
        request,
        "digest_admin.html",
        {
            "preview_url": preview_url,
            "deliveries": delivery.recent(session),
            "bounced": delivery.bounced(session),
        },
    )


def _preview(
    request: Request, session: Session, settings: Settings, email: str, day: date | None
) -> Response:
    digest = delivery.preview(settings, request.app.state.engine, email, day)
    sub = subscriptions.find(session, email)
    links = {
        "manage": subscriptions.link(settings, sub, "manage") if sub else "",
        "unsubscribe": subscriptions.link(settings, sub, "unsubscribe") if sub else "",
    }
    _, _, html = render_digest(settings, digest, links)
    return Response(html, media_type="text/html")


# The signed-in routes come first: "/admin/digests/preview" must not be read as a link token.
@router.get("/admin/digests")
def digest_admin_for_admin(request: Request, session: SessionDep, user: AdminUser) -> Response:
    return _page(request, session, "/admin/digests/preview")


@router.get("/admin/digests/preview")
def digest_preview_for_admin(
    email: str,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    user: AdminUser,
    day: IsoDate | None = None,
) -> Response:
    return _preview(request, session, settings, email, day)


@router.get("/admin/digests/{token}")
def digest_admin(
    token: str, request: Request, session: SessionDep, settings: SettingsDep
) -> Response:
    check_admin_token(settings, token)
    return _page(request, session, f"/admin/digests/{token}/preview")


@router.get("/admin/digests/{token}/preview")
def digest_preview(
    token: str,
    email: str,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    day: IsoDate | None = None,
) -> Response:
    check_admin_token(settings, token)
    return _preview(request, session, settings, email, day)
