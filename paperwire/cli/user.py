"""``paperwire user ...``: placeholder, being written."""

from __future__ import annotations

import typer

app = typer.Typer(help="Manage members.", no_args_is_help=True)
