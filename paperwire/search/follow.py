"""A serving node keeps its own search index current, on its own, from the database.

``Follower`` is a background thread of ``paperwire serve``: it syncs the node's index (keywords,
and vectors taken from the embeddings stored in the database: the model never runs here), and the
database's author index (``paper_authors``, so author pages of new papers exist) when it starts and
whenever the index took in papers, whenever the papers' change log grows, woken by ``NOTIFY paperwire_papers`` on PostgreSQL or a new SQLite
``data_version``, and at least every ``PAPERWIRE_INDEX_POLL`` seconds whatever happened. ``status``
gives the index lag (seconds since the oldest change the index has not applied) and the embedding
backlog (visible papers without a stored embedding) for ``/healthz`` and ``/metrics``, computed at
most every ``STATUS_EVERY`` seconds.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

from sqlalchemy import Engine

from paperwire.authors.index import sync_authors
from paperwire.config import Settings
from paperwire.db import signals
from paperwire.papers import changes
from paperwire.papers.records import now_utc
from paperwire.search import embeddings, index

STATUS_EVERY = 10.0
# SQLite's data_version is read this often between fallback checks.
SQLITE_POLL = 0.25
# After a wake-up, wait this long so that a burst of commits is applied in one sync.
SETTLE = 0.05
# A stopped follower notices within this long while it waits for a NOTIFY; ``stop`` waits at most
# STOP_WAIT for the sync in progress, so a node that shuts down leaves no query running.
STOP_CHECK = 0.25
STOP_WAIT = 10.0

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Status:
    index_lag: float
    embedding_backlog: int
    checked: float


class Follower:
    """The thread that keeps one index folder current (see the module docstring)."""

    def __init__(self, settings: Settings, engine: Engine) -> None:
        self.settings = settings
        self.engine = engine
        self._stop = threading.Event()
        self._listener: signals.Listener | None = None
        path = signals.sqlite_file(settings.database_url)
        # One connection throughout: data_version numbers are comparable only on the same one.
        self._version = signals.DataVersion(path) if path else None
        self._thread = threading.Thread(target=self._run, name="paperwire-index", daemon=True)

    def start(self) -> Follower:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(STOP_WAIT)

    def _seen(self) -> int | None:
        if self._listener is not None:
            return self._listener.count(signals.PAPERS)
        return self._version.read() if self._version else None

    def _wait(self, seen: int | None) -> None:
        """Until the change log may have grown, or the fallback interval passed."""
        poll = self.settings.index_poll
        deadline = time.monotonic() + poll
        if self._listener is not None:
            while not self._stop.is_set():
                left = deadline - time.monotonic()
                if left <= 0:
                    return
                now = self._listener.wait(signals.PAPERS, seen, min(left, STOP_CHECK))
                if now is not None and now != seen:
                    return
            return
        while time.monotonic() < deadline and not self._stop.is_set():
            if self._version is not None and self._version.read() != seen:
                return
            time.sleep(SQLITE_POLL)

    def _sync_authors(self) -> None:
        report = sync_authors(self.engine)
        if report.papers:
            log.info("%s", report.summary())

    def _run(self) -> None:
        self._listener = signals.listener(self.settings.database_url)
        if self._listener is not None:
            self._listener.wait_connected(self.settings.index_poll)
        # At start (and after a failure): papers whose ingest died before indexing their authors.
        authors_due = True
        while not self._stop.is_set():
            seen = self._seen()
            try:
                if authors_due:  # before the index, as ``service.sync_index`` does
                    self._sync_authors()
                    authors_due = False
                if lag(self.settings, self.engine) is not None:
                    report = index.sync(self.settings, self.engine, embed=False)
                    if report.added or report.updated or report.removed or report.loaded:
                        log.info("%s", report.summary())
                    if report.added or report.updated:
                        authors_due = True
                        self._sync_authors()
                        authors_due = False
            except Exception:  # the thread must outlive a database outage or a full disk
                log.exception("the search index could not follow the database (trying again)")
            self._wait(seen)
            time.sleep(SETTLE)


def lag(settings: Settings, engine: Engine) -> float | None:
    """Seconds since the oldest change the index has not applied (0.0: behind by less than a
    clock tick), or None when it is current."""
    lexical = index.open_lexical(settings)
    try:
        cursor = lexical.get_state(index.CURSOR_STATE)
        built_from = lexical.get_state(index.DATABASE_STATE)
    finally:
        lexical.close()
    if cursor is None or built_from != changes.database_id(engine):
        return 0.0
    with engine.connect() as conn:
        oldest = changes.oldest_after(conn, int(cursor))
    if oldest is None:
        return None
    return max(0.0, (now_utc() - oldest).total_seconds())


_status: dict[str, Status] = {}
_status_lock = threading.Lock()


def status(settings: Settings, engine: Engine) -> Status:
    """Index lag and embedding backlog, measured at most every ``STATUS_EVERY`` seconds."""
    key = str(settings.home)
    with _status_lock:
        found = _status.get(key)
        if found is not None and time.monotonic() - found.checked < STATUS_EVERY:
            return found
    behind = lag(settings, engine)
    found = Status(
        index_lag=behind or 0.0,
        embedding_backlog=embeddings.count_pending(engine),
        checked=time.monotonic(),
    )
    with _status_lock:
        _status[key] = found
    return found
