"""Whole pages (the lists and papers' pages) kept per process for visitors without cookies, on
SQLite, and dropped the moment anything is committed to the database.

A day's, week's or month's list, trending and a paper's page are read far more often than
anything changes, and building a list reads hundreds of rows. A visitor without cookies (not signed in, no form token) sees
exactly what every other such visitor sees, so the page is built once. Each process keeps one
extra SQLite connection that only asks ``PRAGMA data_version``, which changes whenever any other
connection, in any process, commits: a cached page is served only while that number is unchanged
(and never after ``MAX_AGE`` seconds), so a vote, a comment, a submission or a hidden paper shows
at once. PostgreSQL has no signal that cheap, so there nothing is cached.

Signed-in members get pages of their own (their votes, their form tokens), but the list under
them is everyone's: ``cached_data`` keeps such data (immutable view objects) under the same rule.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from fastapi import Request
from sqlalchemy.engine import make_url
from starlette.responses import HTMLResponse, Response

MAX_ENTRIES = 4096
# Entries are also dropped, oldest first, past this many bytes of bodies (a list's JSON is
# 50-200 kB; view objects are counted at ``OBJECT_BYTES``).
MAX_BYTES = 128 * 1024 * 1024
OBJECT_BYTES = 32 * 1024
MAX_AGE = 60.0

T = TypeVar("T")


@dataclass(frozen=True)
class _Entry:
    version: int
    stored: float
    body: Any
    size: int


def _size(body: Any) -> int:
    if isinstance(body, bytes | str):
        return len(body)
    inner = getattr(body, "body", None)  # feeds.conditional.Document
    return len(inner) if isinstance(inner, bytes) else OBJECT_BYTES


class PageCache:
    def __init__(self, database_path: str) -> None:
        # Autocommit and never writing: the connection holds no transaction, so each
        # data_version read sees the latest commit.
        self._conn = sqlite3.connect(database_path, check_same_thread=False, isolation_level=None)
        self._lock = threading.Lock()
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self._bytes = 0

    def version(self) -> int:
        with self._lock:
            return int(self._conn.execute("PRAGMA data_version").fetchone()[0])

    def get(self, key: str, version: int) -> Any:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            if entry.version != version or time.monotonic() - entry.stored > MAX_AGE:
                self._bytes -= self._entries.pop(key).size
                return None
            self._entries.move_to_end(key)
            return entry.body

    def put(self, key: str, version: int, body: Any) -> None:
        entry = _Entry(version, time.monotonic(), body, _size(body))
        with self._lock:
            old = self._entries.pop(key, None)
            self._bytes += entry.size - (old.size if old else 0)
            self._entries[key] = entry
            while len(self._entries) > MAX_ENTRIES or self._bytes > MAX_BYTES:
                self._bytes -= self._entries.popitem(last=False)[1].size


_caches: dict[str, PageCache | None] = {}
_caches_lock = threading.Lock()


def _cache_for(request: Request) -> PageCache | None:
    url: str = request.app.state.settings.database_url
    with _caches_lock:
        if url not in _caches:
            parsed = make_url(url)
            sqlite_file = parsed.get_backend_name() == "sqlite" and parsed.database not in (
                None,
                "",
                ":memory:",
            )
            _caches[url] = PageCache(str(parsed.database)) if sqlite_file else None
        return _caches[url]


def cached_page(request: Request, build: Callable[[], Response]) -> Response:
    """``build()``'s page, or the same page built earlier for another cookieless visitor when
    nothing has been committed since."""
    cache = _cache_for(request) if not request.cookies else None
    if cache is None:
        return build()
    key = request.url.path + "?" + request.url.query
    version = cache.version()
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
    found = cache.get("data:" + key, version)
    if found is not None:
        return found
    data = build()
    cache.put("data:" + key, version, data)
    return data
