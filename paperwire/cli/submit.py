"""``paperwire submit ID_OR_URL``: placeholder, being written."""

from __future__ import annotations

import typer


def submit(id_or_url: str = typer.Argument(..., help="arXiv id or URL")) -> None:
    """Fetch a paper's metadata from arXiv and put it in a daily list."""
    raise typer.Exit(code=1)
