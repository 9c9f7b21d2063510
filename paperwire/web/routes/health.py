"""``/healthz``: whether the process is up, the database answers, and what is failing meanwhile.

- ``200 ok``: the database answers and no problem is recorded.
- ``200 degraded``, then one line per problem (``key: what, since when, how often``): the site serves
  every page, but something works in a lesser way until it is fixed or recovers by itself
  (meaning-based search off, the search index not refreshed after a submission, a digest topic left
  out; see ``paperwire.problems``). It stays 200 on purpose: a load balancer that took a degraded
  process out would turn a missing model into a site that is down, and restarting does not fix these.
  Monitoring should alert on any body other than ``ok``.
- ``503 database unavailable``: the process cannot serve.

``/healthz?format=json`` gives the same as ``{"status": ..., "problems": [...]}``. Kept fast (it is
the web benchmarks' baseline): one ``SELECT 1`` and one ``stat`` of the problems folder.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, PlainTextResponse
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from starlette.responses import Response

from paperwire import problems
from paperwire.config import Settings
from paperwire.web.deps import SessionDep

router = APIRouter()


@router.get("/healthz", response_class=PlainTextResponse)
def healthz(request: Request, session: SessionDep) -> Response:
    # Read off the app, not through SettingsDep: a sync dependency costs a thread hop per request.
    settings: Settings = request.app.state.settings
    found = [p.to_dict() for p in problems.current(settings)]
    try:
        session.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        status, code = "unavailable", 503
        found.insert(0, {"key": "database", "text": f"database unavailable: {type(exc).__name__}"})
    else:
        status, code = ("degraded" if found else "ok"), 200
    if request.query_params.get("format") == "json":
        return JSONResponse({"status": status, "problems": found}, status_code=code)
    if code == 503:
        return PlainTextResponse(str(found[0]["text"]), status_code=code)
    lines = [status]
    for p in found:
        lines.append(f"{p['key']}: {p['text']} (since {p['since']}, {p['count']} times)")
    return PlainTextResponse("\n".join(lines), status_code=code)
