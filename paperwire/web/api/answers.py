"""The list and search answers of the JSON API, kept per process and served before routing.

``cached_json`` renders a route's papers once (``pagecache.cached_data``: until something is
committed, and for search while the index is unchanged); every asker of the same address gets the
same bytes, whoever they are (these answers carry nothing of the asker). ``CachedAnswers``, a
plain ASGI layer just in front of the routing, serves such an answer when one is stored under the
request's address: no dependency resolution, parameter validation or threadpool hop, which were
most of a cached answer's cost. It sits inside the rate limit, the security headers and the
request timer, so the answer is counted, headed and timed as if the route had sent it. Only an
address the route has answered (200, its parameters checked) has an entry, and only a GET is
served this way.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import Request
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from paperwire.config import Settings
from paperwire.papers.readmodel import PaperView
from paperwire.search import service
from paperwire.web.api.schemas import daily_bytes
from paperwire.web.pagecache import cached_data, stored_data

# The addresses whose answers are kept, with what else (beside the database) an answer depends on.
VERSIONS: dict[str, Callable[[Settings], tuple[str, ...]]] = {
    "/api/daily_papers": lambda _settings: (),
    "/api/papers/search": lambda settings: (service.index_version(settings),),
}
_HEADERS = [(b"content-type", b"application/json")]


def _key(scope: Scope, settings: Settings) -> str:
    path: str = scope["path"]
    query = scope.get("query_string", b"").decode("latin-1")
    return ":".join(("api", *VERSIONS[path](settings), path, query))


async def cached_json(request: Request, build: Callable[[Session], list[PaperView]]) -> Response:
    """``build(session)``'s papers as the daily-list JSON, rendered once per process until
    something is committed: every asker gets the same answer. One hop to a worker thread (the
    cache, and on a miss a session and the build)."""

    def body() -> bytes:
        def render() -> bytes:
            with Session(request.app.state.engine) as session:
                return daily_bytes(build(session))

        return cached_data(request, _key(request.scope, request.app.state.settings), render)

    return Response(await run_in_threadpool(body), media_type="application/json")


class CachedAnswers:
    """Serves a ``VERSIONS`` address's stored answer (see the module) without routing it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        # The route object the router put in the scope when it answered each address, so the
        # request timer files a stored answer under the same template.
        self._routes: dict[str, Any] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET" or scope["path"] not in VERSIONS:
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        request = Request(scope)
        body = stored_data(request, _key(scope, request.app.state.settings))
        if not isinstance(body, bytes) or path not in self._routes:
            await self.app(scope, receive, send)
            self._routes.setdefault(path, scope.get("route"))
            return
        scope["route"] = self._routes[path]
        headers = [*_HEADERS, (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})
