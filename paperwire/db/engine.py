"""Engines and sessions for SQLite (WAL, foreign keys on) and PostgreSQL.

Both wait at most ``PAPERWIRE_DB_LOCK_TIMEOUT`` seconds for a lock another connection holds (SQLite's
busy timeout, PostgreSQL's ``lock_timeout``); past it the statement fails, the transaction rolls
back, and ``db.faults`` turns the failure into ``DatabaseUnavailable`` (a 503 with Retry-After).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Engine, Table, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session
from sqlalchemy.schema import CreateTable

from paperwire.config import DEFAULT_LOCK_TIMEOUT, Settings
from paperwire.db.files import private_file
from paperwire.db.models import Base, RateLimitHit

_engines: dict[str, Engine] = {}
_engines_lock = threading.Lock()
COUNTERS_SUFFIX = ".counters"


def _sqlite_pragmas(dbapi_conn: Any, _record: Any, busy_ms: int) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute(f"PRAGMA busy_timeout={int(busy_ms)}")
    # Pages read through a memory map (shared by every connection and process) and a larger page
    # cache: a daily list touches hundreds of paper rows, and with SQLite's 2 MB default each
    # request read them again through system calls.
    cur.execute("PRAGMA mmap_size=1073741824")
    cur.execute("PRAGMA cache_size=-32768")
    cur.close()


def _json_dumps(value: Any) -> str:
    # orjson is several times faster than json.dumps, and bulk ingest writes five JSON columns a row.
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


_JSON = {"json_serializer": _json_dumps, "json_deserializer": orjson.loads}


def make_engine(database_url: str, lock_timeout: float = DEFAULT_LOCK_TIMEOUT) -> Engine:
    """A new engine for ``database_url``; SQLite files get their folder created and WAL turned on.
    A statement waits at most ``lock_timeout`` seconds for another connection's lock."""
    url = make_url(database_url)
    busy_ms = max(1, int(lock_timeout * 1000))
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:" and not url.database.startswith("file:"):
            private_file(Path(url.database))  # before SQLite makes it 0644 (see db/files.py)
        engine = create_engine(url, connect_args={"timeout": lock_timeout}, **_JSON)
        event.listen(engine, "connect", lambda conn, record: _sqlite_pragmas(conn, record, busy_ms))
        return engine
    if url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    # Without a lock_timeout PostgreSQL waits for a row lock forever, and the request with it.
    given = url.query.get("options") or ()
    options = " ".join(
        [*([given] if isinstance(given, str) else given), f"-c lock_timeout={busy_ms}"]
    )
    return create_engine(url, pool_pre_ping=True, connect_args={"options": options}, **_JSON)


def get_engine(settings: Settings) -> Engine:
    """The process-wide engine for these settings (created once)."""
    engine = _engines.get(settings.database_url)
    if engine is None:
        engine = make_engine(settings.database_url, settings.db_lock_timeout)
        _engines[settings.database_url] = engine
    return engine


def counter_engine(settings: Settings) -> Engine:
    """Where counters written on every read (the API's rate limit) are kept. For an SQLite file
    that is a file beside it (``<database>.counters``, the same ``rate_limits`` table, shared by
    every process): a count written into the database itself changes its ``PRAGMA data_version``,
    the page cache's sign that something was committed, so every API request emptied the cache of
    every page and answer. Elsewhere, the database itself, through an engine of its own: the page
    cache counts this process's commits that wrote on the main engine, and a count is not one."""
    url = make_url(settings.database_url)
    if url.database in (None, "", ":memory:"):
        return get_engine(settings)
    key = COUNTERS_SUFFIX + settings.database_url
    with _engines_lock:
        engine = _engines.get(key)
        if engine is None:
            if url.get_backend_name() != "sqlite":
                engine = make_engine(settings.database_url, settings.db_lock_timeout)
            else:
                counters = url.set(database=str(url.database) + COUNTERS_SUFFIX)
                engine = make_engine(counters.render_as_string(False), settings.db_lock_timeout)
                with engine.begin() as conn:
                    conn.execute(
                        CreateTable(
                            Table(RateLimitHit.__tablename__, Base.metadata), if_not_exists=True
                        )
                    )
            _engines[key] = engine
        return engine


def dispose_engines() -> None:
    for engine in _engines.values():
        engine.dispose()
    _engines.clear()


_AFTER_COMMIT = "paperwire.after_commit"


def after_commit(session: Session, effect: Callable[[], None]) -> None:
    """Run ``effect`` once the session's current transaction commits (dropped if it rolls back).

    For a write service whose effect reaches beyond the database (bringing the search index up
    to date after a paper is hidden): the service stays flushed-not-committed, and the caller's
    one commit (``session_scope``, or the request's ``web.deps.get_session``) finishes the job."""
    session.info.setdefault(_AFTER_COMMIT, []).append(effect)


@event.listens_for(Session, "after_commit")
def _run_after_commit(session: Session) -> None:
    for effect in session.info.pop(_AFTER_COMMIT, []):
        effect()


@event.listens_for(Session, "after_rollback")
def _drop_after_commit(session: Session) -> None:
    session.info.pop(_AFTER_COMMIT, None)


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """The unit of work of a CLI command or a job: a session that commits once on success (then
    runs what ``after_commit`` queued) and rolls back on any error."""
    session = Session(engine, expire_on_commit=False)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
