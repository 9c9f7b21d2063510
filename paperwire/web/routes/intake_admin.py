"""``/admin/sources`` (admins): each configured source's schedule, cursor, last run, errors and
totals, with "run now" (the worker harvests it at its next round)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from paperwire.intake import status
from paperwire.web.auth import AdminUser
from paperwire.web.deps import SettingsDep
from paperwire.web.templating import render

router = APIRouter()


@router.get("/admin/sources")
def sources_page(request: Request, settings: SettingsDep, user: AdminUser) -> Response:
    rows = status.source_statuses(settings, request.app.state.engine)
    return render(request, "sources_admin.html", {"sources": rows})


@router.post("/admin/sources/{name}/run")
def run_now(request: Request, name: str, settings: SettingsDep, user: AdminUser) -> Response:
    status.request_run(settings, request.app.state.engine, name)
    return RedirectResponse("/admin/sources", status_code=303)
