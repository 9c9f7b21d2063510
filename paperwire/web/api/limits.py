"""The API's rate limit and its cross-origin rule, applied to every ``/api`` address at once.

Every ``/api`` (and ``/mcp``) request counts against ``PAPERWIRE_API_RATE_LIMIT`` per minute, keyed by the
member when a live API token is sent (all of a member's tokens share one budget: more tokens buy
no more requests), else by the client address; answers carry
``RateLimit-Limit/-Remaining/-Reset`` and a 429 adds ``Retry-After``. The count is a
``ratelimit.Tally``: in memory, added to the shared counters in batches (every request with a
limit under 100 a minute), so an answer from the cache costs no database write.
Reading is open to any origin (GET and HEAD, no credentials): the API, Markdown papers, feeds and
exports; nothing else is, so a page elsewhere can never write with a member's token.
"""

from __future__ import annotations

from fastapi import FastAPI, Request, Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers, MutableHeaders
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from paperwire import ratelimit
from paperwire.accounts import tokens
from paperwire.db.engine import counter_engine, session_scope
from paperwire.errors import RateLimited
from paperwire.web.auth import bearer_token
from paperwire.web.deps import client_address
from paperwire.web.errors import rate_limited_response

READ_METHODS = ("GET", "HEAD")
PUBLIC_SUFFIXES = (".md", ".atom", ".bib", ".jsonl", ".ris", ".csl.json")
EXPOSED = "RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset, Retry-After, ETag, Last-Modified"


def is_api(path: str) -> bool:
    """The JSON API and the MCP endpoint (``agents/transports.py``): counted alike."""
    return path.startswith("/api/") or path == "/mcp"


def is_public_read(path: str) -> bool:
    """The addresses any origin may read: the API, Markdown papers, feeds and exports."""
    return is_api(path) or path.endswith(PUBLIC_SUFFIXES)


def _key_here(request: Request) -> str | None:
    """The client's key when it needs no database (no token sent), else None."""
    return client_address(request) if bearer_token(request) is None else None


def _count(request: Request, tally: ratelimit.Tally, key: str | None) -> ratelimit.Usage:
    """Count the request in the shared counters (a thread: the database), resolving a sent
    token's client first (``key`` None)."""
    if key is None:
        with Session(request.app.state.engine) as session:
            key = _client(session, request)
        usage = tally.here(key)
        if usage is not None:
            return usage
    # Counted beside the database (see counter_engine): a count is not a change of the data.
    with session_scope(counter_engine(request.app.state.settings)) as counters:
        return tally.shared(counters, key)


def _client(session: Session, request: Request) -> str:
    """A live token's member is the client (members behind one address do not share a budget,
    and one member's tokens do); an unknown token is not, or every made-up token would be a
    fresh budget."""
    token = bearer_token(request)
    user = tokens.user_for_token(session, token) if token is not None else None
    if user is not None:
        return f"member:{user.id}"
    return client_address(request)


def _preflight(request: Request) -> Response:
    wanted = request.headers.get("access-control-request-method", "")
    if wanted not in READ_METHODS:
        return PlainTextResponse("only GET is allowed from other origins", status_code=403)
    return Response(
        status_code=204,
        headers={
            "Access-Control-Allow-Origin": "*",
            "Access-Control-Allow-Methods": "GET, HEAD",
            "Access-Control-Max-Age": "86400",
        },
    )


class ApiLimits:
    """Counts and caps ``/api`` requests and answers cross-origin reads of public addresses. Plain
    ASGI (as ``web.app.SecurityHeaders``): the ``@app.middleware`` form costs every request."""

    def __init__(self, app: ASGIApp, tally: ratelimit.Tally | None) -> None:
        self.app = app
        self.tally = tally

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path, method = scope["path"], scope["method"]
        cross_origin = "origin" in Headers(scope=scope) and is_public_read(path)
        extra: dict[str, str] = {}
        if cross_origin and method in READ_METHODS:
            extra = {"Access-Control-Allow-Origin": "*", "Access-Control-Expose-Headers": EXPOSED}
        if cross_origin and method == "OPTIONS":
            await _preflight(Request(scope))(scope, receive, send)
            return
        if is_api(path) and self.tally is not None:
            request = Request(scope)
            try:
                # Most requests are counted in memory; a thread only for a batch or a token.
                key = _key_here(request)
                usage = self.tally.here(key) if key is not None else None
                if usage is None:
                    usage = await run_in_threadpool(_count, request, self.tally, key)
            except RateLimited as exc:
                refused = rate_limited_response(request, exc)
                refused.headers.update(extra)
                await refused(scope, receive, send)
                return
            extra["RateLimit-Limit"] = str(usage.limit)
            extra["RateLimit-Remaining"] = str(usage.remaining)
            extra["RateLimit-Reset"] = str(max(1, usage.reset_seconds))
        if not extra:
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message).update(extra)
            await send(message)

        await self.app(scope, receive, send_with_headers)


def install_limits(app: FastAPI) -> None:
    """Count and cap ``/api`` requests, and answer cross-origin reads of public addresses."""
    per_minute = app.state.settings.api_rate_limit
    rule = ratelimit.Limit("api", per_minute, 60)
    app.add_middleware(ApiLimits, tally=ratelimit.Tally("api", rule) if per_minute > 0 else None)
