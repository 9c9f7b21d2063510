"""``paperwire demo``: placeholder, being written."""

from __future__ import annotations

import typer


def demo(port: int = typer.Option(8000, "--port")) -> None:
    """A ready instance with bundled real papers, served."""
    raise typer.Exit(code=1)
