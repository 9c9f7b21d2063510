"""Rate limits count per action and key, are shared through the database, and reset per window."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import Engine

from paperwire.db.engine import session_scope
from paperwire.errors import RateLimited
from paperwire.ratelimit import LIMITS, hit


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
