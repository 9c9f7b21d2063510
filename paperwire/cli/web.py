"""``paperwire serve``: migrate the database if needed, then serve the web site."""

from __future__ import annotations

import typer

from paperwire.cli.context import ready_engine, signing_settings


def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="address to listen on"),
    port: int = typer.Option(8000, "--port", min=1, max=65535, help="port to listen on"),
    workers: int = typer.Option(1, "--workers", min=1, help="worker processes"),
) -> None:
    """Serve the web site."""
    from paperwire.web.server import run

    cfg = signing_settings()
    ready_engine(cfg)
    run(cfg, host=host, port=port, workers=workers)
