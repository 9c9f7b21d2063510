"""``/admin/sources`` (admins): each live source's schedule, cursor, last run, errors and totals,
with "run now" (the worker harvests it at its next round); and the forms that add, edit, pause,
resume and delete sources (``paperwire.intake.sources``, checked by the parser of the file). A
refused form is shown again as typed, with the message naming the source and the key."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy.orm import Session
from starlette.responses import Response

from paperwire.errors import ConfigError, SourceNotFound
from paperwire.intake import sources, status
from paperwire.intake.config import KINDS, LIST_RULES
from paperwire.web.auth import AdminUser
from paperwire.web.deps import SessionDep, SettingsDep
from paperwire.web.forms import FormFields, back
from paperwire.web.templating import render

router = APIRouter()

HOME = "/admin/sources"


def _form(fields: dict[str, str], error: ConfigError | None = None) -> dict[str, Any]:
    return {
        "fields": fields,
        "error": str(error) if error else None,
        "error_key": error.key if error else None,
        "kinds": list(KINDS),
        "list_rules": LIST_RULES,
    }


def _sources_page(
    request: Request,
    settings: SettingsDep,
    form: dict[str, Any],
    status_code: int = 200,
) -> Response:
    rows = status.source_statuses(settings, request.app.state.engine)
    return render(
        request, "sources_admin.html", {"sources": rows, "form": form}, status_code=status_code
    )


def _edit_page(
    request: Request, name: str, form: dict[str, Any], status_code: int = 200
) -> Response:
    return render(
        request, "source_edit.html", {"name": name, "form": form}, status_code=status_code
    )


@router.get("/admin/sources")
def sources_page(request: Request, settings: SettingsDep, user: AdminUser) -> Response:
    return _sources_page(request, settings, _form(sources.to_fields({})))


@router.post("/admin/sources")
def add_source(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    user: AdminUser,
    fields: FormFields,
) -> Response:
    try:
        sources.add(session, sources.from_fields(fields))
    except ConfigError as exc:
        session.rollback()
        return _sources_page(request, settings, _form(fields, exc), exc.http_status)
    return back(HOME)


@router.get("/admin/sources/{name}")
def edit_page(
    request: Request, name: str, session: SessionDep, settings: SettingsDep, user: AdminUser
) -> Response:
    table = sources.table(session, settings, name)
    return _edit_page(request, name, _form(sources.to_fields(table)))


@router.post("/admin/sources/{name}")
def edit_source(
    request: Request, name: str, session: SessionDep, user: AdminUser, fields: FormFields
) -> Response:
    try:
        sources.edit(session, name, sources.from_fields(fields))
    except ConfigError as exc:
        session.rollback()
        if isinstance(exc, SourceNotFound):
            raise
        return _edit_page(request, name, _form({**fields, "name": name}, exc), exc.http_status)
    return back(HOME)


def _paused(session: Session, name: str, paused: bool) -> Response:
    sources.set_paused(session, name, paused)
    return back(HOME)


@router.post("/admin/sources/{name}/pause")
def pause_source(name: str, session: SessionDep, user: AdminUser) -> Response:
    return _paused(session, name, True)


@router.post("/admin/sources/{name}/resume")
def resume_source(name: str, session: SessionDep, user: AdminUser) -> Response:
    return _paused(session, name, False)


@router.post("/admin/sources/{name}/delete")
def delete_source(name: str, session: SessionDep, user: AdminUser) -> Response:
    sources.remove(session, name)
    return back(HOME)


@router.post("/admin/sources/{name}/run")
def run_now(request: Request, name: str, settings: SettingsDep, user: AdminUser) -> Response:
    status.request_run(settings, request.app.state.engine, name)
    return back(HOME)
