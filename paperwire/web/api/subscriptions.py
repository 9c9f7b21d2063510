"""Digest subscriptions over the API: ``POST /api/subscriptions`` asks for a digest exactly as the
/subscribe form does (``digests.subscriptions.request_subscription``)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import JSONResponse

from paperwire.digests import subscriptions
from paperwire.web.api.schemas import SubscriptionCreate
from paperwire.web.deps import SessionDep, SettingsDep, client_address

router = APIRouter(tags=["Subscriptions"])


@router.post("/api/subscriptions", status_code=202, summary="Ask for a digest by e-mail")
def api_subscribe(
    data: SubscriptionCreate, request: Request, session: SessionDep, settings: SettingsDep
) -> JSONResponse:
    """Always 202 for a well-formed request, whether or not the address was already known."""
    subscriptions.request_subscription(
        session, settings, data.email, data.preferences(), client=client_address(request)
    )
    return JSONResponse(
        {
            "status": "accepted",
            "message": "if the address is valid, a confirmation e-mail is on its way",
        },
        status_code=202,
    )
