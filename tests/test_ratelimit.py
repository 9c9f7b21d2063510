"""Rate limits count per action and key, are shared through the database, and reset per window."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import Engine, func, select

from paperwire.db.engine import session_scope
from paperwire.db.models import RateLimitHit
from paperwire.errors import RateLimited
from paperwire.ratelimit import LIMITS, Limit, Tally, hit


def test_limit_then_refuse_then_reset(engine: Engine) -> None:
    now = datetime(2026, 11, 28, 12, 0, 5)
    allowed = LIMITS["login"].count
    for n in range(allowed):
        with session_scope(engine) as session:
            usage = hit(session, "login", "1.2.3.4", now=now)
        assert usage.remaining == allowed - n - 1
    with session_scope(engine) as session, pytest.raises(RateLimited) as refused:
        hit(session, "login", "1.2.3.4", now=now)
    assert 0 < refused.value.retry_after <= LIMITS["login"].seconds
    with session_scope(engine) as session:
        hit(session, "login", "5.6.7.8", now=now)  # another key is not affected
        hit(session, "signup", "1.2.3.4", now=now)  # nor another action
        # the next window still remembers this one; a window with no attempt before it starts afresh
        later = now + timedelta(seconds=LIMITS["login"].seconds)
        with pytest.raises(RateLimited):
            hit(session, "login", "1.2.3.4", now=later)
        much_later = now + timedelta(seconds=3 * LIMITS["login"].seconds)
        assert hit(session, "login", "1.2.3.4", now=much_later).remaining == allowed - 1


def test_a_burst_across_a_window_boundary_gets_the_limit_once(engine: Engine) -> None:
    rule = LIMITS["login"]
    boundary = datetime(2026, 11, 28, 12, 0, 0)
    half = rule.count // 2
    times = [boundary - timedelta(seconds=1)] * half + [boundary] * (rule.count - half)
    for at in times:
        with session_scope(engine) as session:
            hit(session, "login", "1.2.3.4", now=at)
    with session_scope(engine) as session, pytest.raises(RateLimited):
        hit(session, "login", "1.2.3.4", now=boundary + timedelta(seconds=1))


def test_a_tally_counts_in_batches_that_every_process_shares(engine: Engine) -> None:
    """Two processes' tallies on one database: each writes once a batch (a hundredth of the
    limit), the shared row holds both, and together they let through at most a batch each more
    than the limit."""
    rule = Limit("api", 400, 60)
    one, two = Tally("api", rule), Tally("api", rule)
    assert one.batch == 4
    now = datetime(2026, 11, 28, 12, 0, 5)
    writes = 0
    allowed = 0
    with pytest.raises(RateLimited):
        for n in range(1000):
            tally = one if n % 2 else two
            usage = tally.here("1.2.3.4", now=now)
            if usage is None:
                writes += 1
                with session_scope(engine) as session:
                    usage = tally.shared(session, "1.2.3.4", now=now)
            allowed += 1
    assert rule.count - 2 * one.batch <= allowed <= rule.count + 2 * one.batch
    assert writes <= allowed // one.batch + 2
    with session_scope(engine) as session:
        counted = session.scalar(select(func.sum(RateLimitHit.count)))
        # everything either tally counted and wrote, including the refusal
        assert allowed - 2 * one.batch <= counted <= allowed + 1
        # another process's first ask sees the shared count (the earlier windows are empty)
        third = Tally("api", rule)
        if counted + 1 > rule.count:
            with pytest.raises(RateLimited):
                third.shared(session, "1.2.3.4", now=now)
        else:
            usage = third.shared(session, "1.2.3.4", now=now)
            assert usage.remaining == rule.count - counted - 1 < 2 * one.batch
        assert Tally("api", rule).shared(session, "5.6.7.8", now=now).remaining == 399


def test_a_small_limit_is_counted_in_the_database_every_time(engine: Engine) -> None:
    tally = Tally("api", Limit("api", 5, 60))
    now = datetime(2026, 11, 28, 12, 0, 5)
    with session_scope(engine) as session:
        tally.shared(session, "1.2.3.4", now=now)
    assert tally.batch == 1 and tally.here("1.2.3.4", now=now) is None
