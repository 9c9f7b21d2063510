"""Lasting failures that every paperwire process can see: one small JSON file per kind of problem.

A process that meets a failure it works around (meaning-based search off, the search index not
refreshed after a submission, a digest topic left out) records it here with ``record`` and clears it
with ``clear`` once the same work succeeds again; ``/healthz`` lists what is recorded. The files live
in ``PAPERWIRE_HOME/problems/`` because the web workers, the worker and the CLI are separate
processes sharing only the home folder and the database, and the database may be the thing failing.
Writing a problem never raises: a home that cannot be written is logged and the work goes on.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from paperwire.config import Settings
from paperwire.db.files import private_folder

log = logging.getLogger(__name__)

FOLDER = "problems"
MAX_TEXT = 500
# File times advance in clock ticks of a few milliseconds: a listing read this soon after a change
# may miss a second change within the same tick, so it is not kept.
SETTLED_NS = 50_000_000


@dataclass(frozen=True)
class Problem:
    key: str
    text: str
    since: str
    last: str
    count: int

    def to_dict(self) -> dict[str, object]:
        return {
            "key": self.key,
            "text": self.text,
            "since": self.since,
            "last": self.last,
            "count": self.count,
        }


def folder(settings: Settings) -> Path:
    return settings.home / FOLDER


def _path(settings: Settings, key: str) -> Path:
    return folder(settings) / f"{key}.json"


def _read(path: Path) -> Problem | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return Problem(
            key=str(data["key"]),
            text=str(data["text"]),
            since=str(data["since"]),
            last=str(data["last"]),
            count=int(data["count"]),
        )
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return Problem(path.stem, f"unreadable problem file {path}: {exc}", "", "", 1)


def record(settings: Settings, key: str, text: str) -> None:
    """Note that ``key`` is failing, with ``text`` saying what and what it does meanwhile."""
    now = datetime.now(UTC).isoformat(timespec="seconds")
    path = _path(settings, key)
    before = _read(path)
    problem = Problem(
        key=key,
        text=text[:MAX_TEXT],
        since=before.since if before and before.since else now,
        last=now,
        count=(before.count if before else 0) + 1,
    )
    try:
        private_folder(path.parent)
        # Written aside then renamed: a reader never sees half a file.
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{key}.", suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(problem.to_dict(), fh)
        os.replace(tmp, path)
    except OSError as exc:
        log.error("cannot record the problem %s in %s: %s", key, path.parent, exc)


def clear(settings: Settings, key: str) -> None:
    """``key`` works again: forget its problem (a no-op when none was recorded)."""
    path = _path(settings, key)
    try:
        path.unlink()
    except FileNotFoundError:
        return
    except OSError as exc:
        log.error("cannot clear the problem %s in %s: %s", key, path.parent, exc)
        return
    log.info("%s works again", key)


_cache: dict[Path, tuple[int, list[Problem]]] = {}
_cache_lock = threading.Lock()


def current(settings: Settings) -> list[Problem]:
    """The recorded problems, by key. Cheap enough for every ``/healthz``: one ``stat`` of the
    folder, whose files are read again only when one was written or removed since."""
    where = folder(settings)
    try:
        stamp = where.stat().st_mtime_ns
    except FileNotFoundError:
        return []
    with _cache_lock:
        cached = _cache.get(where)
        if cached is not None and cached[0] == stamp:
            return cached[1]
    found = [
        problem for path in sorted(where.glob("*.json")) if (problem := _read(path)) is not None
    ]
    if time.time_ns() - stamp > SETTLED_NS:
        with _cache_lock:
            _cache[where] = (stamp, found)
    return found
