"""Rate limits as counters in the database, so every server process shares them.

Counts are kept per fixed window, and the previous window counts too, weighted by how much of it
still lies within one window's length of now (a sliding-window estimate): with fixed windows
alone, a burst straddling a window boundary would get twice the limit."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from paperwire.db.models import RateLimitHit
from paperwire.errors import RateLimited
from paperwire.papers.records import now_utc


@dataclass(frozen=True)
class Limit:
    """At most ``count`` actions per ``seconds`` for one key (e.g. an IP address or a member)."""

    action: str
    count: int
    seconds: int


# The limits of each action; tests and operators read this one table.
LIMITS = {
    "signup": Limit("signup", 5, 3600),
    "login": Limit("login", 10, 300),
    "comment": Limit("comment", 20, 600),
    "submit": Limit("submit", 20, 3600),
    "subscribe": Limit("subscribe", 5, 3600),
    "api": Limit("api", 600, 60),
}


@dataclass(frozen=True)
class Usage:
    limit: int
    remaining: int
    reset_seconds: int


def hit(
    session: Session,
    action: str,
    key: str,
    *,
    now: datetime | None = None,
    rule: Limit | None = None,
) -> Usage:
    """Count one ``action`` by ``key``; raise ``RateLimited`` (with Retry-After) past the limit.
    ``rule`` replaces the action's entry of ``LIMITS`` (an operator's setting).

    Commits nothing itself: the caller's transaction carries the counter.
    """
    rule = rule or LIMITS[action]
    now = now or now_utc()
    epoch = int(now.timestamp())
    start = datetime.fromtimestamp(epoch - epoch % rule.seconds)
    row_key = f"{action}:{key}"[:255]
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = insert(RateLimitHit).values(key=row_key, window_start=start, count=1)
    upsert = stmt.on_conflict_do_update(
        index_elements=[RateLimitHit.key, RateLimitHit.window_start],
        set_={"count": RateLimitHit.count + 1},
    ).returning(RateLimitHit.count)
    count = int(session.execute(upsert).scalar_one())
    previous = session.scalar(
        select(RateLimitHit.count).where(
            RateLimitHit.key == row_key,
            RateLimitHit.window_start == start - timedelta(seconds=rule.seconds),
        )
    )
    overlap = 1 - (now - start).total_seconds() / rule.seconds
    estimate = count + (previous or 0) * overlap
    if random.random() < 0.01:
        session.execute(
            delete(RateLimitHit).where(RateLimitHit.window_start < now - timedelta(days=1))
        )
    reset = int((start + timedelta(seconds=rule.seconds) - now).total_seconds())
    if estimate > rule.count:
        raise RateLimited(
            f"too many {action} requests; try again in {reset} s",
            retry_after=reset,
            limit=rule.count,
        )
    remaining = max(0, rule.count - math.ceil(estimate))
    return Usage(limit=rule.count, remaining=remaining, reset_seconds=reset)
