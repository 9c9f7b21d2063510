"""The application factory: settings, database engine, error pages, static files and routers.

A new group of pages or endpoints is one module under ``routes/`` and one ``include_router`` line.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path

from fastapi import Depends, FastAPI
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from paperwire import __version__, secret
from paperwire.agents import transports as mcp_transport
from paperwire.config import Settings, load_settings
from paperwire.db.engine import get_engine
from paperwire.intake.config import load_sources
from paperwire.web import auth, errors
from paperwire.web.api import authors as authors_api
from paperwire.web.api import collections as collections_api
from paperwire.web.api import comments as comments_api
from paperwire.web.api import feed as feed_api
from paperwire.web.api import hf as hf_api
from paperwire.web.api import notes as notes_api
from paperwire.web.api import own as own_api
from paperwire.web.api import subscriptions as subscriptions_api
from paperwire.web.api.answers import CachedAnswers
from paperwire.web.api.docs import install_docs
from paperwire.web.api.limits import install_limits
from paperwire.web.bodylimit import BodyLimit
from paperwire.web.inputs import check_address
from paperwire.web.metrics import Metrics, RequestTimer
from paperwire.web.offload import size_threadpool
from paperwire.web.routes import (
    accounts,
    collections,
    community,
    digest_admin,
    feeds,
    foryou,
    health,
    intake_admin,
    pages,
    search,
    tokens,
)
from paperwire.web.routes import authors as author_routes
from paperwire.web.routes import notes as note_routes
from paperwire.web.routes import submit as submit_routes
from paperwire.web.routes import subscribe as subscribe_routes
from paperwire.web.staticfiles import CompressedStaticFiles

STATIC = Path(__file__).parent / "static"
API_DESCRIPTION = (
    "The Hugging Face papers API (`huggingface_hub`'s `HfApi(endpoint=...)` works unchanged) and "
    "paperwire's own endpoints. Personal tokens are sent as `Authorization: Bearer`."
)

# Nothing on these pages runs script or loads from elsewhere; the policy makes sure of it even if
# some text were ever rendered unescaped.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' https: data:; script-src 'self'; "
        "style-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Frame-Options": "DENY",
}


class SecurityHeaders:
    """Adds ``SECURITY_HEADERS`` to every response that does not set its own. Plain ASGI: the
    ``@app.middleware`` form wraps each response in extra tasks and streams, which showed as a
    large share of a small page's time under load."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for key, value in SECURITY_HEADERS.items():
                    if key not in headers:
                        headers[key] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _lifespan(
    settings: Settings, follow: bool
) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """Sizes the threadpool (``web/offload.py``), runs ``/mcp``'s session manager and, with
    ``follow``, keeps this node's search index current while the app serves."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        from paperwire.search.follow import Follower

        size_threadpool()
        async with mcp_transport.lifespan(app):
            follower = Follower(settings, get_engine(settings)).start() if follow else None
            try:
                yield
            finally:
                if follower is not None:
                    follower.stop()

    return lifespan


def create_serving_app() -> FastAPI:
    """The app ``paperwire serve`` runs: ``create_app`` from the environment, with the thread that
    keeps this node's search index current (``search/follow.py``)."""
    return create_app(follow=True)


def create_app(settings: Settings | None = None, *, follow: bool = False) -> FastAPI:
    """The web application for ``settings`` (read from the environment when None); with
    ``follow``, it keeps this node's search index current from the database while it serves."""
    # Nothing is served with a secret that would let anyone sign links (see paperwire.secret).
    settings = secret.resolve(settings or load_settings())
    load_sources(settings)  # a bad [[sources]] table stops start-up, naming the file and key
    app = FastAPI(
        lifespan=_lifespan(settings, follow),
        title="paperwire",
        version=__version__,
        description=API_DESCRIPTION,
        docs_url=None,  # /docs is served from local assets by install_docs
        redoc_url=None,
        openapi_url="/openapi.json",
        # Text checks first: nothing, not even the CSRF lookup, reads an unchecked parameter.
        dependencies=[Depends(check_address), Depends(auth.csrf_protect)],
    )
    app.state.settings = settings
    app.state.engine = get_engine(settings)
    errors.install(app)

    app.add_middleware(CachedAnswers)  # innermost: counted, headed and timed like the routes
    app.add_middleware(BodyLimit)
    app.add_middleware(SecurityHeaders)
    app.state.metrics = Metrics(settings, app.state.engine)
    app.add_middleware(RequestTimer, metrics=app.state.metrics)

    install_limits(app)
    if settings.trusted_proxies:
        # Outermost, so rate limits and logs see the client the trusted proxy names; from any other
        # peer X-Forwarded-For is ignored (it would let a client pick its own rate-limit key).
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.trusted_proxies)
    app.mount("/static", CompressedStaticFiles(directory=STATIC), name="static")
    install_docs(app)
    app.include_router(health.router)
    app.include_router(pages.router)
    app.include_router(search.router)
    app.include_router(subscribe_routes.router)
    app.include_router(digest_admin.router)
    app.include_router(intake_admin.router)
    app.include_router(accounts.router)
    app.include_router(community.router)
    app.include_router(note_routes.router)
    app.include_router(submit_routes.router)
    app.include_router(collections.router)
    app.include_router(foryou.router)
    app.include_router(hf_api.router)
    app.include_router(feeds.router)
    app.include_router(own_api.router)
    app.include_router(own_api.members)
    app.include_router(notes_api.router)
    app.include_router(feed_api.router)
    app.include_router(comments_api.router)
    app.include_router(collections_api.router)
    app.include_router(subscriptions_api.router)
    app.include_router(author_routes.router)
    app.include_router(authors_api.router)
    app.include_router(tokens.router)
    mcp_transport.install(app, settings, app.state.engine)  # /mcp, behind every layer above
    return app
