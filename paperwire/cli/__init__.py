"""The ``paperwire`` command: a thin client of the service layer (parse, one call, translate errors)."""

from __future__ import annotations

import sys

from sqlalchemy.exc import SQLAlchemyError

from paperwire.cli.app import app
from paperwire.db.faults import unavailable
from paperwire.errors import DatabaseUnavailable, PaperwireError


def _fail(exc: PaperwireError) -> None:
    line = str(exc)
    if isinstance(exc, DatabaseUnavailable):
        line += f" ({exc.reason})"
    print(f"error: {line}", file=sys.stderr)
    sys.exit(exc.exit_code)


def main() -> None:
    try:
        app()
    except PaperwireError as exc:
        _fail(exc)
    except SQLAlchemyError as exc:
        found = unavailable(exc)
        if found is None:
            raise
        _fail(found)
