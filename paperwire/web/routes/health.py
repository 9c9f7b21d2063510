"""``/healthz``: whether the process is up, the database answers, and what is failing meanwhile.

- ``200 ok``: the database answers and no problem is recorded.
- ``200 degraded``, then one line per problem (``key: what, since when, how often``): the site serves
  every page, but something works in a lesser way until it is fixed or recovers by itself
  (meaning-based search off, the search index not refreshed after a submission, a digest topic left
  out; see ``paperwire.problems``). It stays 200 on purpose: a load balancer that took a degraded
  process out would turn a missing model into a site that is down, and restarting does not fix these.
  Monitoring should alert on any body other than ``ok``.
- ``503 database unavailable``: the process cannot serve.

``/healthz?format=json`` gives the same as ``{"status": ..., "problems": [...]}`` with this node's
``index_lag_seconds`` and the cluster's ``embedding_backlog``; an index more than ``LAG_PROBLEM``
seconds behind the database is a problem (degraded). Kept fast (it is the web benchmarks' baseline):
one ``SELECT 1``, one ``stat`` of the problems folder, and the lag and backlog measured at most every
10 seconds (``search/follow.status``).

``/metrics``: the Prometheus text format (``web/metrics.py``), only for a scraper that sends
``PAPERWIRE_METRICS_TOKEN`` as a Bearer token or connects from ``PAPERWIRE_METRICS_ALLOW``; anyone
else gets 403 (route names, traffic and harvest sources are the operator's business).
"""

from __future__ import annotations

import sqlite3

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, PlainTextResponse
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from starlette.responses import Response

from paperwire import problems
from paperwire.config import Settings
from paperwire.errors import Forbidden
from paperwire.search.follow import status as index_status
from paperwire.web.deps import SessionDep, client_address
from paperwire.web.metrics import Metrics, may_scrape

router = APIRouter()
# Seconds behind the database past which the search index counts as a problem.
LAG_PROBLEM = 60.0


@router.get("/healthz", response_class=PlainTextResponse)
def healthz(request: Request, session: SessionDep) -> Response:
    # Read off the app, not through SettingsDep: a sync dependency costs a thread hop per request.
    settings: Settings = request.app.state.settings
    found = [p.to_dict() for p in problems.current(settings)]
    status, code = "ok", 200
    try:
        session.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        status, code = "unavailable", 503
        found.insert(0, {"key": "database", "text": f"database unavailable: {type(exc).__name__}"})
    lag: float | None = None
    backlog: int | None = None
    if code == 200:
        try:
            measured = index_status(settings, request.app.state.engine)
        except (SQLAlchemyError, OSError, sqlite3.Error) as exc:
            found.append({"key": "index", "text": f"index state unknown: {type(exc).__name__}"})
        else:
            lag, backlog = round(measured.index_lag, 3), measured.embedding_backlog
            if lag > LAG_PROBLEM:
                found.append(
                    {"key": "index", "text": f"the search index is {lag:.0f} s behind the database"}
                )
        status = "degraded" if found else "ok"
    if request.query_params.get("format") == "json":
        body = {
            "status": status,
            "problems": found,
            "index_lag_seconds": lag,
            "embedding_backlog": backlog,
        }
        return JSONResponse(body, status_code=code)
    if code == 503:
        return PlainTextResponse(str(found[0]["text"]), status_code=code)
    lines = [status]
    for p in found:
        since = f" (since {p['since']}, {p['count']} times)" if "since" in p else ""
        lines.append(f"{p['key']}: {p['text']}{since}")
    return PlainTextResponse("\n".join(lines), status_code=code)


@router.get("/metrics", include_in_schema=False)
def metrics(request: Request) -> Response:
    settings: Settings = request.app.state.settings
    if not may_scrape(settings, client_address(request), request.headers.get("authorization")):
        raise Forbidden(
            "/metrics: send PAPERWIRE_METRICS_TOKEN as a Bearer token, or scrape from an address"
            " in PAPERWIRE_METRICS_ALLOW"
        )
    registry: Metrics = request.app.state.metrics
    body, media_type = registry.render()
    return Response(body, media_type=media_type)
