"""Each source's harvest state in ``intake_sources``: its lease, cursor, last run, last error and
totals (its configuration, in the same row, is ``intake/sources.py``'s).

The lease is taken with one conditional statement (a free, expired or dead holder's lease), so any
number of workers and ``paperwire sources run`` never harvest one source at the same time. A
harvest renews it with each batch it commits, so a worker killed mid-harvest gives the source up
within ``LEASE`` (at once when it ran on this machine and its process is gone).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from paperwire.db.engine import session_scope
from paperwire.db.holders import holder_id, holder_is_dead
from paperwire.db.models import IntakeSource
from paperwire.intake.config import SourceConfig
from paperwire.papers.records import now_utc

LEASE = timedelta(minutes=15)
MAX_PROBLEMS = 20

__all__ = ["LEASE", "ensure_rows", "holder_id", "release", "renew", "states", "take_lease"]


def ensure_rows(engine: Engine, sources: list[SourceConfig]) -> None:
    """A state row for each of ``sources`` that has none (a harvest of a source given as it is,
    not read from the database, e.g. by a test; ``intake/sources.py`` stores the live ones)."""
    if not sources:
        return
    insert = pg_insert if engine.dialect.name == "postgresql" else sqlite_insert
    with session_scope(engine) as session:
        for source in sources:
            session.execute(
                insert(IntakeSource)
                .values(
                    name=source.name,
                    kind=source.kind,
                    problems=[],
                    runs=0,
                    added=0,
                    updated=0,
                    rejected=0,
                    listed=0,
                    errors=0,
                )
                .on_conflict_do_nothing(index_elements=["name"])
            )


def states(session: Session) -> dict[str, IntakeSource]:
    return {row.name: row for row in session.scalars(select(IntakeSource))}


def take_lease(engine: Engine, name: str, holder: str) -> bool:
    """Take the source's lease when it is free, expired, or held by a process of this machine that
    is gone; True when ``holder`` now holds it."""
    now = now_utc()
    with session_scope(engine) as session:
        current = session.scalar(select(IntakeSource.lease_holder).where(IntakeSource.name == name))
        # Not "or held by ``holder``": two threads of one process share a holder id.
        free = (IntakeSource.lease_holder.is_(None)) | (IntakeSource.lease_expires_at <= now)
        if current and holder_is_dead(current):
            free = free | (IntakeSource.lease_holder == current)
        taken = session.execute(
            update(IntakeSource)
            .where(IntakeSource.name == name, free)
            .values(lease_holder=holder, lease_expires_at=now + LEASE)
            .returning(IntakeSource.name)
        ).scalar_one_or_none()
    return taken is not None


def renew(session: Session, name: str, holder: str, values: dict[str, Any]) -> None:
    """Within a batch's transaction: extend the lease and write ``values`` (the cursor, counts)."""
    session.execute(
        update(IntakeSource)
        .where(IntakeSource.name == name, IntakeSource.lease_holder == holder)
        .values(lease_expires_at=now_utc() + LEASE, **values)
    )


def release(engine: Engine, name: str, holder: str, values: dict[str, Any]) -> None:
    with session_scope(engine) as session:
        session.execute(
            update(IntakeSource)
            .where(IntakeSource.name == name, IntakeSource.lease_holder == holder)
            .values(lease_holder=None, lease_expires_at=None, **values)
        )


def request_run(engine: Engine, name: str, when: datetime | None = None) -> None:
    """Ask the worker to run the source at its next round ("run now" on the admin page)."""
    with session_scope(engine) as session:
        session.execute(
            update(IntakeSource)
            .where(IntakeSource.name == name)
            .values(run_requested_at=when or now_utc())
        )
