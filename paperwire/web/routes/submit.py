"""``/submit``: a signed-in member puts a paper in today's daily list by arXiv id or URL.

``paperwire.ingest.submit.submit_paper`` does the work (the same call as ``paperwire submit``);
this reads the form, applies the member's rate limit and brings the search index up to date after
the answer has gone out.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, BackgroundTasks, Request
from sqlalchemy.orm import Session
from starlette.responses import Response

from paperwire.config import Settings
from paperwire.db.models import User
from paperwire.errors import PaperwireError, RateLimited
from paperwire.ingest.submit import member_submission, refresh_index
from paperwire.web import auth
from paperwire.web.deps import SessionDep, SettingsDep
from paperwire.web.forms import FormFields
from paperwire.web.offload import FETCHES
from paperwire.web.templating import render

router = APIRouter()

MAX_INPUT = 300


def _context(settings: Settings, **values: Any) -> dict[str, Any]:
    return {
        "max_age_days": settings.submit_max_age_days,
        "value": "",
        "result": None,
        "error": None,
        **values,
    }


@router.get("/submit", name="submit")
def submit_page(request: Request, settings: SettingsDep, user: auth.CurrentUser) -> Response:
    return render(request, "submit.html", _context(settings))


@router.post("/submit")
async def submit(
    request: Request,
    db: SessionDep,
    settings: SettingsDep,
    user: auth.CurrentUser,
    background: BackgroundTasks,
    form: FormFields,
) -> Response:
    """The arXiv request runs in the ``FETCHES`` lane, for as long as the fetcher's deadline (a
    full lane is ``ServerBusy``'s error page)."""
    return await FETCHES.run(_submit, request, db, settings, user, background, form)


def _submit(
    request: Request,
    db: Session,
    settings: Settings,
    user: User,
    background: BackgroundTasks,
    form: dict[str, str],
) -> Response:
    value = form.get("paper", "")[:MAX_INPUT].strip()
    try:
        result = member_submission(db, request.app.state.engine, settings, user, value)
    except PaperwireError as exc:
        db.rollback()
        response = render(
            request,
            "submit.html",
            _context(settings, value=value, error=str(exc)),
            status_code=exc.http_status,
        )
        if isinstance(exc, RateLimited):
            response.headers["Retry-After"] = str(max(1, exc.retry_after))
        return response
    if result.added:
        background.add_task(refresh_index, settings, request.app.state.engine, result.paper_id)
    return render(request, "submit.html", _context(settings, result=result))
