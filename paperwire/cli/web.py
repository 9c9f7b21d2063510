"""``paperwire serve``: migrate the database if needed, then serve the web site; ``paperwire mcp``:
the MCP server over stdio."""

from __future__ import annotations

import typer

from paperwire.cli.context import ready_engine, settings, signing_settings


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


def mcp() -> None:
    """Serve paperwire's MCP tools over stdio, to one agent on this machine (a member's API
    token in PAPERWIRE_MCP_TOKEN for the member tools)."""
    import os

    from paperwire.agents.transports import run_stdio

    cfg = settings()
    run_stdio(cfg, ready_engine(cfg), os.environ.get("PAPERWIRE_MCP_TOKEN") or None)
