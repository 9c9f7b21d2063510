"""Which database failures are temporary (locked past the timeout, unreachable, disk full) and so
become ``DatabaseUnavailable`` (503 with Retry-After on the web, exit code 75 in the CLI), as
opposed to programming errors (a missing table, bad SQL), which stay errors of ours.

SQLite says so through its result code: busy, locked, cannot open, I/O error and full are states of
the file or of another process. On PostgreSQL every ``OperationalError`` of psycopg is one: the server
is down or refused the connection, a backend was terminated, or a lock or statement timeout fired;
syntax, undefined objects and constraint violations are other classes.
"""

from __future__ import annotations

import sqlite3

from sqlalchemy import exc as sa_exc

from paperwire.errors import DatabaseUnavailable

# SQLite primary result codes (the low byte of the extended code).
_SQLITE_TEMPORARY = {
    sqlite3.SQLITE_BUSY,
    sqlite3.SQLITE_LOCKED,
    sqlite3.SQLITE_IOERR,
    sqlite3.SQLITE_FULL,
    sqlite3.SQLITE_CANTOPEN,
    sqlite3.SQLITE_PROTOCOL,
}


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def _temporary_driver_error(error: BaseException) -> bool:
    if isinstance(error, sqlite3.Error):
        code = getattr(error, "sqlite_errorcode", None)
        return code is not None and code & 0xFF in _SQLITE_TEMPORARY
    try:
        import psycopg
    except ImportError:  # pragma: no cover - psycopg is a dependency; a PostgreSQL-less build
        return False
    return isinstance(error, psycopg.OperationalError)


def unavailable(error: BaseException) -> DatabaseUnavailable | None:
    """The ``DatabaseUnavailable`` that ``error`` amounts to, or None when it is not temporary."""
    if isinstance(error, DatabaseUnavailable):
        return error
    if isinstance(error, sa_exc.TimeoutError):
        return DatabaseUnavailable(f"no database connection free: {_first_line(error)}")
    if isinstance(error, sa_exc.DBAPIError):
        driver = error.orig if error.orig is not None else error
        if error.connection_invalidated or _temporary_driver_error(driver):
            return DatabaseUnavailable(_first_line(driver))
        return None
    if _temporary_driver_error(error):
        return DatabaseUnavailable(_first_line(error))
    return None
