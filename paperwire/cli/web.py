"""``paperwire serve``: placeholder, being written."""

from __future__ import annotations

import typer


def serve(port: int = typer.Option(8000, "--port")) -> None:
    """Serve the web site, API and feeds."""
    raise typer.Exit(code=1)

