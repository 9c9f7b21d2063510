"""Rate limits as counters in the database, so every server process shares them.

Counts are kept per fixed window, and the previous window counts too, weighted by how much of it
still lies within one window's length of now (a sliding-window estimate): with fixed windows
alone, a burst straddling a window boundary would get twice the limit.

A limit counted on every request of a busy address (the API's) is kept by a ``Tally``: each
process counts in memory and adds its counts to the shared rows in batches of a hundredth of the
limit (at least every second), so a request costs a database write only once a batch."""

from __future__ import annotations

import math
import random
import threading
import time
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
    # Failed sign-ins per account, from any address: after 10 the account waits out the rest of
    # its 15-minute window (at most 15 minutes), then may try again.
    "login-account": Limit("login-account", 10, 900),
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


def _window(now: datetime, rule: Limit) -> datetime:
    epoch = int(now.timestamp())
    return datetime.fromtimestamp(epoch - epoch % rule.seconds)


def _row_key(action: str, key: str) -> str:
    return f"{action}:{key}"[:255]


def _estimate(session: Session, row_key: str, start: datetime, now: datetime, rule: Limit) -> float:
    """This window's count plus the share of the previous window's still within reach."""
    counts = dict(
        session.execute(
            select(RateLimitHit.window_start, RateLimitHit.count).where(
                RateLimitHit.key == row_key,
                RateLimitHit.window_start.in_([start, start - timedelta(seconds=rule.seconds)]),
            )
        ).all()
    )
    overlap = 1 - (now - start).total_seconds() / rule.seconds
    previous = counts.get(start - timedelta(seconds=rule.seconds)) or 0
    return float(counts.get(start) or 0) + previous * overlap


def _refusal(what: str, rule: Limit, reset: int) -> RateLimited:
    return RateLimited(f"{what}; try again in {reset} s", retry_after=reset, limit=rule.count)


def _reset(start: datetime, now: datetime, rule: Limit) -> int:
    return int((start + timedelta(seconds=rule.seconds) - now).total_seconds())


def _add(session: Session, row_key: str, start: datetime, amount: int = 1) -> int:
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = insert(RateLimitHit).values(key=row_key, window_start=start, count=amount)
    upsert = stmt.on_conflict_do_update(
        index_elements=[RateLimitHit.key, RateLimitHit.window_start],
        set_={"count": RateLimitHit.count + amount},
    ).returning(RateLimitHit.count)
    return int(session.execute(upsert).scalar_one())


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
    start = _window(now, rule)
    row_key = _row_key(action, key)
    _add(session, row_key, start)
    estimate = _estimate(session, row_key, start, now, rule)
    _prune(session, now)
    return _usage(action, rule, estimate, start, now)


def _prune(session: Session, now: datetime) -> None:
    if random.random() < 0.01:
        session.execute(
            delete(RateLimitHit).where(RateLimitHit.window_start < now - timedelta(days=1))
        )


def _usage(action: str, rule: Limit, estimate: float, start: datetime, now: datetime) -> Usage:
    reset = _reset(start, now, rule)
    if estimate > rule.count:
        raise _refusal(f"too many {action} requests", rule, reset)
    remaining = max(0, rule.count - math.ceil(estimate))
    return Usage(limit=rule.count, remaining=remaining, reset_seconds=reset)


def check(
    session: Session, action: str, key: str, *, message: str = "", now: datetime | None = None
) -> None:
    """Raise ``RateLimited`` (saying ``message``) if ``key`` has used up ``action``'s limit,
    counting nothing: for limits on failures, which ``record`` counts once they happen."""
    rule = LIMITS[action]
    now = now or now_utc()
    start = _window(now, rule)
    if _estimate(session, _row_key(action, key), start, now, rule) >= rule.count:
        what = message or f"too many {action} requests"
        raise _refusal(what, rule, _reset(start, now, rule))


def record(session: Session, action: str, key: str, *, now: datetime | None = None) -> None:
    """Count one ``action`` by ``key`` without refusing it (``check`` refuses the next one)."""
    _add(session, _row_key(action, key), _window(now or now_utc(), LIMITS[action]))


def forget(session: Session, action: str, key: str) -> None:
    """Drop ``key``'s count of ``action`` (a member who signs in starts afresh)."""
    session.execute(delete(RateLimitHit).where(RateLimitHit.key == _row_key(action, key)))


# A process adds its counts to the shared rows at least this often, and once it holds this
# share of the limit: each process may let through up to that share more than the limit.
SYNC_SECONDS = 1.0
BATCH_SHARE = 100


@dataclass
class _Known:
    """One key as this process last read it from the shared rows, and what it counted since."""

    start: datetime  # the window of ``current`` and of ``pending``
    current: int
    previous: int  # the window before ``start``
    synced: float  # time.monotonic() of the read
    pending: int = 0


class Tally:
    """``hit`` for one limit on every request, with the database written once a batch: ``here``
    counts in memory while this process's view of a key's shared count is fresh (under
    ``SYNC_SECONDS`` old, fewer than a batch counted since, the same window), else says so and
    ``shared`` counts in the database, adding every key's counts held here. A limit under
    ``BATCH_SHARE`` per window has batches of one: every request is counted in the database."""

    def __init__(self, action: str, rule: Limit) -> None:
        self.action = action
        self.rule = rule
        self.batch = max(1, rule.count // BATCH_SHARE)
        self._lock = threading.Lock()
        self._keys: dict[str, _Known] = {}

    def here(self, key: str, *, now: datetime | None = None) -> Usage | None:
        """Count one request by ``key`` in this process (no I/O; raise ``RateLimited`` past the
        limit), or None when it must be counted by ``shared``."""
        now = now or now_utc()
        start = _window(now, self.rule)
        with self._lock:
            known = self._keys.get(key)
            if (
                known is None
                or known.start != start
                or known.pending + 1 >= self.batch
                or time.monotonic() - known.synced >= SYNC_SECONDS
            ):
                return None
            known.pending += 1
            estimate = (
                known.current + known.pending + known.previous * _overlap(start, now, self.rule)
            )
        return _usage(self.action, self.rule, estimate, start, now)

    def shared(self, session: Session, key: str, *, now: datetime | None = None) -> Usage:
        """Count one request by ``key`` in the shared rows, with all this process counted since
        its last write (every key's), and read ``key``'s count afresh. Commits nothing itself."""
        now = now or now_utc()
        start = _window(now, self.rule)
        with self._lock:
            held = [
                (k, known.start, known.pending) for k, known in self._keys.items() if known.pending
            ]
            for k, _, _ in held:
                self._keys[k].pending = 0
            stale = start - timedelta(seconds=self.rule.seconds)
            for k in [k for k, known in self._keys.items() if known.start < stale]:
                del self._keys[k]
        for k, window, count in held:
            if k != key:
                _add(session, _row_key(self.action, k), window, count)
        mine = dict((window, count) for k, window, count in held if k == key)
        row_key = _row_key(self.action, key)
        for window, count in mine.items():
            if window != start:
                _add(session, row_key, window, count)
        current = _add(session, row_key, start, 1 + mine.get(start, 0))
        before = start - timedelta(seconds=self.rule.seconds)
        previous = session.scalar(
            select(RateLimitHit.count).where(
                RateLimitHit.key == row_key, RateLimitHit.window_start == before
            )
        )
        with self._lock:
            known = self._keys.get(key)
            if known is None or known.start != start:
                # counts made here meanwhile in an older window are dropped: at most a batch
                self._keys[key] = known = _Known(start, current, previous or 0, time.monotonic())
            else:  # keep what was counted here while this ran: it is not in ``current``
                known.current, known.previous = current, previous or 0
                known.synced = time.monotonic()
            estimate = (
                known.current + known.pending + known.previous * _overlap(start, now, self.rule)
            )
        _prune(session, now)
        return _usage(self.action, self.rule, estimate, start, now)


def _overlap(start: datetime, now: datetime, rule: Limit) -> float:
    return 1 - (now - start).total_seconds() / rule.seconds
