"""Run the web app under uvicorn (``paperwire serve`` and ``paperwire demo`` call ``run``)."""

from __future__ import annotations

import os

import uvicorn

from paperwire.config import SETTINGS, Settings
from paperwire.db.engine import dispose_engines
from paperwire.web.app import create_app


def settings_environ(settings: Settings) -> dict[str, str]:
    """The environment variables that make ``load_settings`` return ``settings`` in another process."""
    values: dict[str, str] = {}
    for setting in SETTINGS:
        value = getattr(settings, setting.name, None)
        if value is not None:
            values[setting.env] = str(value)
    return values


def run(settings: Settings, host: str = "127.0.0.1", port: int = 8000, workers: int = 1) -> None:
    """Serve until interrupted. Several workers are separate processes that each build the app
    from the environment, so the settings are exported to it first. uvicorn's own proxy-header
    handling (which believes 127.0.0.1) is off: ``create_app`` applies ``PAPERWIRE_TRUSTED_PROXIES``."""
    if workers <= 1:
        uvicorn.run(
            create_app(settings, follow=True),
            host=host,
            port=port,
            server_header=False,
            proxy_headers=False,
        )
        return
    os.environ.update(settings_environ(settings))
    # Forked workers must not share the parent's database connections.
    dispose_engines()
    uvicorn.run(
        "paperwire.web.app:create_serving_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        server_header=False,
        proxy_headers=False,
    )
