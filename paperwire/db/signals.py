"""Wake-ups when any process, on any node, commits a change the caches or the search index follow.

On PostgreSQL the triggers of migration 0007 send ``NOTIFY paperwire_papers`` (the papers' change
log grew) and ``NOTIFY paperwire_data`` (something a page shows changed). One ``Listener`` per
process and database keeps a connection that ``LISTEN``s on both and counts the notifications; a
reader remembers a count and knows something changed when it moved. While the connection is down
``count`` answers None (callers then trust nothing they cached), and every count moves when it
comes back, since changes may have been missed meanwhile. On SQLite (one machine) ``DataVersion``
reads ``PRAGMA data_version``, which moves whenever another connection commits.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
import time

import psycopg
from sqlalchemy.engine import make_url

PAPERS = "paperwire_papers"
DATA = "paperwire_data"
CHANNELS = (PAPERS, DATA)
# The listening connection runs a trivial query this often, so a dead connection is noticed.
HEARTBEAT = 15.0
RECONNECT = 1.0

log = logging.getLogger(__name__)


class Listener:
    """Counts ``NOTIFY``s on ``CHANNELS`` from a background thread (see the module docstring)."""

    def __init__(self, database_url: str) -> None:
        url = make_url(database_url).set(drivername="postgresql")
        self._conninfo = url.render_as_string(hide_password=False)
        self._counts = dict.fromkeys(CHANNELS, 0)
        self._connected = False
        self._changed = threading.Condition()
        self._thread = threading.Thread(target=self._run, name="paperwire-listen", daemon=True)
        self._thread.start()

    def count(self, channel: str) -> int | None:
        """How many notifications ``channel`` had; None while not listening."""
        with self._changed:
            return self._counts[channel] if self._connected else None

    def wait_connected(self, timeout: float) -> bool:
        with self._changed:
            return self._changed.wait_for(lambda: self._connected, timeout)

    def wait(self, channel: str, seen: int | None, timeout: float) -> int | None:
        """Block until ``channel``'s count differs from ``seen`` or ``timeout`` passes."""
        with self._changed:
            self._changed.wait_for(
                lambda: self._connected and self._counts[channel] != seen, timeout
            )
            return self._counts[channel] if self._connected else None

    def _bump(self, channels: tuple[str, ...], connected: bool | None = None) -> None:
        with self._changed:
            for channel in channels:
                self._counts[channel] += 1
            if connected is not None:
                self._connected = connected
            self._changed.notify_all()

    def _run(self) -> None:
        while True:
            try:
                with psycopg.connect(self._conninfo, autocommit=True) as conn:
                    for channel in CHANNELS:
                        conn.execute(f"LISTEN {channel}")
                    self._bump(CHANNELS, connected=True)
                    while True:
                        for note in conn.notifies(timeout=HEARTBEAT):
                            self._bump((note.channel,))
                        conn.execute("SELECT 1")
            except psycopg.Error as exc:
                if self._connected:
                    log.warning("not listening for changes (trying again): %s", exc)
            self._bump(CHANNELS, connected=False)
            time.sleep(RECONNECT)


class DataVersion:
    """``PRAGMA data_version`` of an SQLite file, on a connection of its own that never writes."""

    def __init__(self, path: str) -> None:
        # Autocommit: the connection holds no transaction, so each read sees the latest commit.
        self._conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._lock = threading.Lock()

    def read(self) -> int:
        with self._lock:
            return int(self._conn.execute("PRAGMA data_version").fetchone()[0])


_listeners: dict[tuple[int, str], Listener] = {}
_lock = threading.Lock()


def listener(database_url: str) -> Listener | None:
    """This process's listener for a PostgreSQL database (started on first use); None for
    another kind of database."""
    if make_url(database_url).get_backend_name() != "postgresql":
        return None
    # Keyed by process too: a forked server worker starts its own thread.
    key = (os.getpid(), database_url)
    with _lock:
        found = _listeners.get(key)
        if found is None:
            found = _listeners[key] = Listener(database_url)
        return found


def sqlite_file(database_url: str) -> str | None:
    """The file of an SQLite URL (None for another database or an in-memory one)."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    return str(url.database)
