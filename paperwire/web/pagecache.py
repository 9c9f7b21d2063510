"""Whole pages (the lists and papers' pages) kept per process for visitors without cookies, and
dropped the moment anything is committed to the database, by any process on any node.

A day's, week's or month's list, trending and a paper's page are read far more often than
anything changes, and building a list reads hundreds of rows. A visitor without cookies (not signed in, no form token) sees
exactly what every other such visitor sees, so the page is built once. A cached page is served
only while the database's change signal (``db/signals.py``) is unchanged (and never after
``MAX_AGE`` seconds), so a vote, a comment, a submission or a hidden paper shows at once. On SQLite
the signal is ``PRAGMA data_version`` on one extra connection, which changes whenever any other
connection, in any process, commits. On PostgreSQL it is the count of ``NOTIFY paperwire_data``
(sent by triggers on the tables pages show, from every node) together with this process's own
commits (counted as they happen, so a member's vote shows on the very next page here); while the
listening connection is down nothing is cached.

Signed-in members get pages of their own (their votes, their form tokens), but the list under
them is everyone's: ``cached_data`` keeps such data (immutable view objects) under the same rule.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any, TypeVar

from fastapi import Request
from sqlalchemy import Engine, event
from starlette.responses import HTMLResponse, Response

from paperwire.db import signals

MAX_ENTRIES = 4096
# Entries are also dropped, oldest first, past this many bytes of bodies (a list's JSON is
# 50-200 kB; view objects are counted at ``OBJECT_BYTES``).
MAX_BYTES = 128 * 1024 * 1024
OBJECT_BYTES = 32 * 1024
MAX_AGE = 60.0

T = TypeVar("T")


@dataclass(frozen=True)
class _Entry:
    version: Hashable
    stored: float
    body: Any
    size: int


def _size(body: Any) -> int:
    if isinstance(body, bytes | str):
        return len(body)
    inner = getattr(body, "body", None)  # feeds.conditional.Document
    return len(inner) if isinstance(inner, bytes) else OBJECT_BYTES


class PageCache:
    """Entries stamped with the database's change signal when they were built; ``version()`` is
    the signal now (None: unknown, cache nothing)."""

    def __init__(self, version: Callable[[], Hashable | None]) -> None:
        self.version = version
        self._lock = threading.Lock()
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self._bytes = 0

    def get(self, key: str, version: Hashable) -> Any:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            if entry.version != version or time.monotonic() - entry.stored > MAX_AGE:
                self._bytes -= self._entries.pop(key).size
                return None
            self._entries.move_to_end(key)
            return entry.body

    def put(self, key: str, version: Hashable, body: Any) -> None:
        entry = _Entry(version, time.monotonic(), body, _size(body))
        with self._lock:
            old = self._entries.pop(key, None)
            self._bytes += entry.size - (old.size if old else 0)
            self._entries[key] = entry
            while len(self._entries) > MAX_ENTRIES or self._bytes > MAX_BYTES:
                self._bytes -= self._entries.popitem(last=False)[1].size


_caches: dict[str, PageCache | None] = {}
_caches_lock = threading.Lock()


# Statements that may change what a page shows (a false "yes", a read-only WITH, only costs a
# rebuild). A request's session commits after its reads too: counting those would drop every
# page this process had just built.
_WRITES = ("INSERT", "UPDATE", "DELETE", "MERGE", "TRUNCATE", "WITH", "COPY")
_WROTE = "paperwire_wrote"


def _postgresql_version(engine: Engine, listener: signals.Listener) -> Callable[[], Hashable]:
    commits = itertools.count(1)
    latest = [0]

    def executed(conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip()[:8].upper().startswith(_WRITES):
            conn.info[_WROTE] = True

    def committed(conn: Any) -> None:
        if conn.info.pop(_WROTE, False):
            latest[0] = next(commits)

    def rolled_back(conn: Any) -> None:
        conn.info.pop(_WROTE, None)

    event.listen(engine, "after_cursor_execute", executed)
    event.listen(engine, "commit", committed)
    event.listen(engine, "rollback", rolled_back)

    def version() -> Hashable | None:
        notified = listener.count(signals.DATA)
        return None if notified is None else (notified, latest[0])

    return version


def _cache_for(request: Request) -> PageCache | None:
    url: str = request.app.state.settings.database_url
    with _caches_lock:
        if url not in _caches:
            path = signals.sqlite_file(url)
            listener = signals.listener(url)
            if path is not None:
                _caches[url] = PageCache(signals.DataVersion(path).read)
            elif listener is not None:
                _caches[url] = PageCache(_postgresql_version(request.app.state.engine, listener))
            else:
                _caches[url] = None
        return _caches[url]


def cached_page(request: Request, build: Callable[[], Response]) -> Response:
    """``build()``'s page, or the same page built earlier for another cookieless visitor when
    nothing has been committed since."""
    cache = _cache_for(request) if not request.cookies else None
    if cache is None:
        return build()
    key = request.url.path + "?" + request.url.query
    version = cache.version()
    if version is None:
        return build()
    body = cache.get(key, version)
    if body is not None:
        return HTMLResponse(body)
    response = build()
    if response.status_code == 200 and "set-cookie" not in response.headers:
        cache.put(key, version, bytes(response.body))
    return response


def cached_data(request: Request, key: str, build: Callable[[], T]) -> T:
    """``build()``'s result (an immutable view object the same for every visitor), or the one
    built earlier in this process when nothing has been committed since."""
    cache = _cache_for(request)
    if cache is None:
        return build()
    version = cache.version()
    if version is None:
        return build()
    found = cache.get("data:" + key, version)
    if found is not None:
        return found
    data = build()
    cache.put("data:" + key, version, data)
    return data


def stored_data(request: Request, key: str) -> Any:
    """What ``cached_data`` holds under ``key`` now (None if nothing, or it is out of date).
    Never builds, nor starts the cache (its first use may connect to the database): cheap
    enough for the event loop."""
    url: str = request.app.state.settings.database_url
    with _caches_lock:
        cache = _caches.get(url)
    if cache is None:
        return None
    version = cache.version()
    return None if version is None else cache.get("data:" + key, version)
