"""``/healthz``: ok when the process is up and the database answers."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import PlainTextResponse
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from paperwire.web.deps import SessionDep

router = APIRouter()


@router.get("/healthz", response_class=PlainTextResponse)
def healthz(session: SessionDep) -> PlainTextResponse:
    try:
        session.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        return PlainTextResponse(f"database unavailable: {type(exc).__name__}", status_code=503)
    return PlainTextResponse("ok")
