"""One place that turns errors into friendly pages (or JSON under ``/api/``); never a stack trace.

The handlers are plain ``def``: Starlette runs them in the threadpool, as an error page may ask the
database who the visitor is (``templating.render``), which must not happen on the event loop."""

from __future__ import annotations

import logging
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from sqlalchemy.exc import SQLAlchemyError
from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.routing import Match

from paperwire.db.faults import unavailable
from paperwire.errors import (
    DatabaseUnavailable,
    NotSignedIn,
    PaperwireError,
    RateLimited,
    ServerBusy,
)
from paperwire.web import auth
from paperwire.web.templating import render

log = logging.getLogger("paperwire.web")

TITLES = {
    400: "That address is not quite right",
    401: "Please sign in",
    403: "Not allowed",
    404: "Page not found",
    405: "Not allowed",
    413: "Too much data",
    422: "That input cannot be used",
    429: "Too many requests",
    500: "Something went wrong",
    503: "Temporarily unavailable",
}
METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")
GENERIC = {
    404: "There is no page at this address.",
    500: "The server hit an unexpected problem. It has been logged; please try again later.",
}


def error_response(request: Request, status: int, message: str) -> Response:
    if request.url.path.startswith("/api/"):
        return JSONResponse({"error": message}, status_code=status)
    return render(
        request,
        "error.html",
        {"status": status, "title": TITLES.get(status, "Error"), "message": message},
        status_code=status,
    )


def _http_error(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    detail = exc.detail if isinstance(exc, HTTPException) else ""
    # Starlette's own details ("Not Found") are replaced by a sentence a person can use.
    default = detail in ("Not Found", "Method Not Allowed", "")
    message = GENERIC.get(status, detail) if default else detail
    response = error_response(request, status, message or "The request could not be handled.")
    for key, value in (getattr(exc, "headers", None) or {}).items():
        response.headers[key] = value
    if status == 405:
        response.headers["Allow"] = ", ".join(allowed_methods(request))
    return response


def allowed_methods(request: Request) -> list[str]:
    """Every method some route of this path answers. Starlette's 405 names only the methods of the
    first route that matched the path, and paperwire has one route per method."""
    routes = request.app.router.routes
    return [
        method
        for method in METHODS
        if any(r.matches({**request.scope, "method": method})[0] == Match.FULL for r in routes)
    ]


def _domain_error(request: Request, exc: Exception) -> Response:
    if isinstance(exc, RateLimited):
        return rate_limited_response(request, exc)
    if isinstance(exc, DatabaseUnavailable):
        return unavailable_response(request, exc)
    if isinstance(exc, ServerBusy):
        busy = error_response(request, exc.http_status, str(exc))
        busy.headers["Retry-After"] = str(max(1, exc.retry_after))
        return busy
    status = exc.http_status if isinstance(exc, PaperwireError) else 500
    api = request.url.path.startswith("/api/")
    if isinstance(exc, NotSignedIn) and not api and request.method == "GET":
        # A page that needs a member: sign in, then come back here.
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?{urlencode({'next': target})}", status_code=303)
    return error_response(request, status, str(exc))


def rate_limited_response(request: Request, exc: RateLimited) -> Response:
    """A 429 with ``Retry-After`` and, when the limit is known, the ``RateLimit-*`` headers."""
    response = error_response(request, 429, str(exc))
    wait = str(max(1, exc.retry_after))
    response.headers["Retry-After"] = wait
    if exc.limit is not None:
        response.headers["RateLimit-Limit"] = str(exc.limit)
        response.headers["RateLimit-Remaining"] = "0"
        response.headers["RateLimit-Reset"] = wait
    return response


def unavailable_response(request: Request, exc: DatabaseUnavailable) -> Response:
    """A 503 with ``Retry-After``: the database is locked or unreachable for now. The page is
    rendered without asking the database who the visitor is (it may be the part that is down)."""
    log.warning("database unavailable on %s %s: %s", request.method, request.url.path, exc.reason)
    if getattr(request.state, "visitor", None) is None:
        request.state.visitor = auth.ANONYMOUS
    response = error_response(request, 503, str(exc))
    response.headers["Retry-After"] = str(max(1, exc.retry_after))
    return response


def _database_error(request: Request, exc: Exception) -> Response:
    """A database that is locked or unreachable is a 503; any other database error is a bug and
    goes on to the 500 handler as before."""
    found = unavailable(exc)
    if found is None:
        raise exc
    return unavailable_response(request, found)


SOURCES = ("query", "path", "body", "header", "cookie")


def _invalid_request(request: Request, exc: Exception) -> Response:
    """A 422 with one sentence naming each bad parameter, as JSON under ``/api/``, a page elsewhere."""
    if not isinstance(exc, RequestValidationError):
        return _server_error(request, exc)
    problems = []
    for error in exc.errors():
        loc = list(error.get("loc", ()))
        # The first part says where (query, path, body); a field may itself be called "query".
        where = [str(part) for part in (loc[1:] if loc and loc[0] in SOURCES else loc)]
        problems.append(f"{'.'.join(where) or 'request'}: {error.get('msg', 'invalid')}")
    return error_response(request, 422, "; ".join(problems))


def _server_error(request: Request, exc: Exception) -> Response:
    # Middleware (the API's rate limit counter) reaches the database outside the route handlers.
    found = unavailable(exc)
    if found is not None:
        return unavailable_response(request, found)
    log.error("unhandled error on %s", request.url.path, exc_info=exc)
    return error_response(request, 500, GENERIC[500])


def install(app: FastAPI) -> None:
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(PaperwireError, _domain_error)
    app.add_exception_handler(RequestValidationError, _invalid_request)
    app.add_exception_handler(SQLAlchemyError, _database_error)
    app.add_exception_handler(Exception, _server_error)
