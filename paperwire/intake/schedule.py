"""When a source runs next, and whether it is due."""

from __future__ import annotations

from datetime import datetime, timedelta

from paperwire.db.models import IntakeSource
from paperwire.intake.config import DEFAULT_EVERY, SourceConfig


def next_run(source: SourceConfig, after: datetime) -> datetime:
    """``every``: that long after ``after``; ``at``: the next such UTC time after ``after``."""
    if source.at is None:
        return after + (source.every or DEFAULT_EVERY)
    when = datetime.combine(after.date(), source.at)
    return when if when > after else when + timedelta(days=1)


def is_due(row: IntakeSource | None, now: datetime) -> bool:
    """Asked to run now, or not paused and its time has come (or it never ran)."""
    if row is None or row.run_requested_at is not None:
        return True
    if row.paused:
        return False
    return row.next_run_at is None or row.next_run_at <= now
