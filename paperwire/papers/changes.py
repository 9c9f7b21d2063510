"""The change log of papers (``paper_changes``, written by database triggers) and the database's id.

Every node's search index follows the log: a paper inserted, deleted, changed in content or
visibility, or given a new embedding adds a row whose ``seq`` only grows. On PostgreSQL two
transactions may commit their rows out of ``seq`` order, so a reader that sees a gap keeps its
cursor before it (and reads the rows after it again: applying a change twice is harmless) until
the gap has been open ``GAP_GRACE`` seconds (a rolled-back transaction leaves a gap for ever).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, Engine, delete, func, insert, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from paperwire.db.models import InstanceSetting, PaperChange
from paperwire.papers.records import now_utc

GAP_GRACE = 30.0
DATABASE_ID = "database_id"


def _get(conn: Connection, key: str) -> str | None:
    return conn.execute(
        select(InstanceSetting.value).where(InstanceSetting.key == key)
    ).scalar_one_or_none()


def put_setting(conn: Connection, key: str, value: str, *, replace: bool = True) -> None:
    """Store one fact about this database (the first writer wins unless ``replace``)."""
    upsert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    statement = upsert(InstanceSetting).values(key=key, value=value)
    if replace:
        conn.execute(statement.on_conflict_do_update(index_elements=["key"], set_={"value": value}))
    else:
        conn.execute(statement.on_conflict_do_nothing(index_elements=["key"]))


def get_setting(engine: Engine, key: str) -> str | None:
    with engine.connect() as conn:
        return _get(conn, key)


def database_id(engine: Engine) -> str:
    """This database's random id, made by the first caller (several at once agree on one)."""
    with engine.begin() as conn:
        found = _get(conn, DATABASE_ID)
        if found is None:
            put_setting(conn, DATABASE_ID, uuid.uuid4().hex, replace=False)
            found = _get(conn, DATABASE_ID)
    assert found is not None  # inserted just above, or by whoever won the race
    return found


def latest_seq(conn: Connection) -> int:
    return int(conn.execute(select(func.coalesce(func.max(PaperChange.seq), 0))).scalar_one())


@dataclass
class Changes:
    """Papers changed after a cursor, and the cursor to use next time."""

    paper_ids: list[str]
    cursor: int
    # When the oldest change not yet applied was made (None: nothing waits).
    oldest_pending: datetime | None = None


@dataclass
class GapClock:
    """When this reader first saw each gap in ``seq`` (kept by the reader between calls)."""

    seen: dict[int, float]

    def expired(self, seq: int) -> bool:
        first = self.seen.setdefault(seq, time.monotonic())
        return time.monotonic() - first >= GAP_GRACE


def changes_since(conn: Connection, cursor: int, gaps: GapClock, limit: int = 50_000) -> Changes:
    """The distinct papers changed after ``cursor`` and the next cursor (before any fresh gap)."""
    rows = conn.execute(
        select(PaperChange.seq, PaperChange.paper_id)
        .where(PaperChange.seq > cursor)
        .order_by(PaperChange.seq)
        .limit(limit)
    ).all()
    ids = list(dict.fromkeys(pid for _, pid in rows))
    next_cursor = cursor
    for seq, _ in rows:
        if seq != next_cursor + 1 and not gaps.expired(next_cursor + 1):
            break
        next_cursor = seq
    gaps.seen = {s: t for s, t in gaps.seen.items() if s > next_cursor}
    return Changes(ids, next_cursor)


def oldest_after(conn: Connection, cursor: int) -> datetime | None:
    """When the first change after ``cursor`` was made (the lag of a reader at ``cursor``)."""
    return conn.execute(
        select(func.min(PaperChange.changed_at)).where(PaperChange.seq > cursor)
    ).scalar_one_or_none()


def prune(conn: Connection, older_than: timedelta, keep_last: int = 1) -> int:
    """Delete log rows older than ``older_than`` (the newest ``keep_last`` stay, so ``seq`` never
    restarts); a node further behind than that rebuilds from a full comparison."""
    newest = latest_seq(conn)
    cutoff = now_utc() - older_than
    result = conn.execute(
        delete(PaperChange).where(
            PaperChange.changed_at < cutoff, PaperChange.seq <= newest - keep_last
        )
    )
    return int(result.rowcount or 0)


def first_seq(conn: Connection) -> int | None:
    """The oldest ``seq`` still logged: a reader whose cursor is below it has missed pruned rows."""
    return conn.execute(select(func.min(PaperChange.seq))).scalar_one_or_none()


def record(conn: Connection, paper_ids: Sequence[str]) -> None:
    """Add log rows by hand, as the triggers do."""
    conn.execute(insert(PaperChange), [{"paper_id": p, "changed_at": now_utc()} for p in paper_ids])
