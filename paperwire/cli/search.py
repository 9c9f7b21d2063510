"""``paperwire index``, ``search`` and ``eval``: placeholder, being written."""

from __future__ import annotations

import typer

app = typer.Typer()
