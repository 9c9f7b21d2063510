"""The OpenAPI document (``/openapi.json``) and interactive documentation (``/docs``).

The document describes the API only: ``/api`` addresses and the public reads (Markdown, feeds,
exports), not the HTML pages. Every ``/api`` operation may answer 400 (a domain ``UsageError``),
422 (a bad parameter) and 429 (the rate limit of ``api.limits``), and every write 401 and 403 (a
bad token, the CSRF check), always as ``ErrorPublic``. Swagger UI 5 (which reads OpenAPI 3.1; the
``swagger-ui-bundle`` package's 4.15 could not) is served from the ``fastapi-swagger`` package's
resources rather than a CDN: the site's Content-Security-Policy allows scripts from itself only, so the page has no inline script
either; its start-up code is ``/docs/init.js``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse
from fastapi_swagger import resources as swagger_resources
from starlette.responses import Response

from paperwire.web.api.limits import is_api, is_public_read
from paperwire.web.api.schemas import ErrorPublic
from paperwire.web.staticfiles import CompressedStaticFiles

# Swagger UI's bundle and stylesheet, as the package ships them.
SWAGGER_UI_PATH = Path(swagger_resources.__file__).parent

PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>{title} API</title>
  <link rel="stylesheet" href="/docs/assets/swagger-ui.css">
  <link rel="icon" href="/static/favicon.svg" type="image/svg+xml">
</head>
<body>
  <noscript><p>The API is described by <a href="/openapi.json">/openapi.json</a>.</p></noscript>
  <div id="swagger-ui"></div>
  <script src="/docs/assets/swagger-ui-bundle.js"></script>
  <script src="/docs/init.js"></script>
</body>
</html>
"""

INIT = """window.ui = SwaggerUIBundle({
  url: "/openapi.json",
  dom_id: "#swagger-ui",
  deepLinking: true,
  presets: [SwaggerUIBundle.presets.apis],
  layout: "BaseLayout"
});
"""


ERROR_BODY = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorPublic"}}}
# Every /api address answers these with an ``ErrorPublic`` body (web/errors.py, api/limits.py).
API_ERRORS = {
    "400": {"description": "A parameter is malformed", "content": ERROR_BODY},
    "422": {"description": "A parameter is missing or out of range", "content": ERROR_BODY},
    "429": {"description": "Too many requests; wait Retry-After seconds", "content": ERROR_BODY},
}
# Writes also meet the CSRF check and the token lookup (web/auth.py).
WRITE_ERRORS = {
    "401": {"description": "The API token is not valid or has been revoked", "content": ERROR_BODY},
    "403": {"description": "Not allowed (or a form without its CSRF token)", "content": ERROR_BODY},
}


def api_document(app: FastAPI) -> dict[str, Any]:
    """The OpenAPI document of the API routes of ``app``."""
    document = get_openapi(
        title=app.title, version=app.version, description=app.description, routes=app.routes
    )
    document["paths"] = {p: ops for p, ops in document["paths"].items() if is_public_read(p)}
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas.setdefault("ErrorPublic", ErrorPublic.model_json_schema())
    for path, operations in document.get("paths", {}).items():
        if is_api(path):
            for method, operation in operations.items():
                responses = operation.setdefault("responses", {})
                responses.update(API_ERRORS)
                if method not in ("get", "head"):
                    responses.update(WRITE_ERRORS)
    return document


def install_docs(app: FastAPI) -> None:
    """Serve ``/openapi.json``, ``/docs`` and its assets (FastAPI's CDN-based page stays off)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = api_document(app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    app.mount(
        "/docs/assets", CompressedStaticFiles(directory=str(SWAGGER_UI_PATH)), name="docs-assets"
    )

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return HTMLResponse(PAGE.format(title=app.title))

    @app.get("/docs/init.js", include_in_schema=False)
    def docs_init() -> Response:
        return Response(INIT, media_type="application/javascript")
