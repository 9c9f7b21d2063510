"""How the MCP server is reached: over stdio (``run_stdio``, for ``paperwire mcp``) and over
streamable HTTP at ``/mcp`` of the web app (``install``).

``/mcp`` is a route of the paperwire app, so every layer of ``web/app.py`` is in front of it: the
proxy headers of ``PAPERWIRE_TRUSTED_PROXIES`` only, the request timer, the security headers, the
1 MiB body cap, and the API's rate limit and token keying (``web/api/limits.py`` counts ``/mcp``
as it counts ``/api``). The transport is stateless and answers in JSON: a call carries all it
needs, so any ``serve`` node behind a load balancer answers any request, and nothing is kept
between requests. The SDK's session manager runs for the app's lifespan, a fresh one each time
the app starts (one can run only once).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
from fastapi import FastAPI
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from mcp.server.transport_security import TransportSecuritySettings
from sqlalchemy import Engine
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from paperwire.agents.server import build_server
from paperwire.agents.tools import Backend
from paperwire.config import Settings
from paperwire.web.bodylimit import MAX_BODY_BYTES

PATH = "/mcp"


class _Endpoint:
    """The ASGI endpoint of ``/mcp``: the running session manager's."""

    def __init__(self) -> None:
        self.manager: StreamableHTTPSessionManager | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.manager is None:
            answer = PlainTextResponse("the MCP endpoint is starting", status_code=503)
            await answer(scope, receive, send)
            return
        await self.manager.handle_request(scope, receive, send)


def install(app: FastAPI, settings: Settings, engine: Engine) -> None:
    """Serve the MCP server at ``/mcp`` of ``app`` (its session manager is run by ``lifespan``)."""
    endpoint = _Endpoint()
    app.state.mcp = (build_server(Backend(settings, engine)), endpoint)
    app.router.routes.append(
        Route(PATH, endpoint=endpoint, methods=["GET", "POST", "DELETE"], include_in_schema=False)
    )


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Run ``/mcp``'s session manager while the app serves."""
    server, endpoint = app.state.mcp
    # The site's own layers check the Host (the proxy) and the body; DNS-rebinding checks of the
    # SDK would refuse the site's public name, which it cannot know.
    server.streamable_http_app(
        stateless_http=True,
        json_response=True,
        max_request_body_size=MAX_BODY_BYTES,
        transport_security=TransportSecuritySettings(enable_dns_rebinding_protection=False),
    )
    manager: StreamableHTTPSessionManager = server.session_manager
    async with manager.run():
        endpoint.manager = manager
        try:
            yield
        finally:
            endpoint.manager = None


def run_stdio(settings: Settings, engine: Engine, token: str | None) -> None:
    """Serve one client over stdin and stdout until it closes them."""
    server = build_server(Backend(settings, engine), token=token)
    anyio.run(server.run_stdio_async)
