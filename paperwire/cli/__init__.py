"""The ``paperwire`` command: a thin client of the service layer (parse, one call, translate errors)."""

from __future__ import annotations

import sys

from paperwire.cli.app import app
from paperwire.errors import PaperwireError


def main() -> None:
    try:
        app()
    except PaperwireError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(exc.exit_code)
