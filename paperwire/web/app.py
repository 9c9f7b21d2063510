"""The application factory: settings, database engine, error pages, static files and routers.

A new group of pages or endpoints is one module under ``routes/`` and one ``include_router`` line.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

from fastapi import Depends, FastAPI, Request
from fastapi.staticfiles import StaticFiles
from starlette.responses import Response

from paperwire.config import Settings, load_settings
from paperwire.db.engine import get_engine
from paperwire.web import auth, errors
from paperwire.web.routes import accounts, digest_admin, health, pages, search
from paperwire.web.routes import subscribe as subscribe_routes

STATIC = Path(__file__).parent / "static"

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


def create_app(settings: Settings | None = None) -> FastAPI:
    """The web application for ``settings`` (read from the environment when None)."""
    settings = settings or load_settings()
    settings.check_production()
    app = FastAPI(
        title="paperwire",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        dependencies=[Depends(auth.csrf_protect)],
    )
    app.state.settings = settings
    app.state.engine = get_engine(settings)
    errors.install(app)

    @app.middleware("http")
    async def security_headers(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        response = await call_next(request)
        for key, value in SECURITY_HEADERS.items():
            response.headers.setdefault(key, value)
        return response

    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.include_router(health.router)
    app.include_router(pages.router)
    app.include_router(search.router)
    app.include_router(subscribe_routes.router)
    app.include_router(digest_admin.router)
    app.include_router(accounts.router)
    return app
