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
        later = now + timedelta(seconds=LIMITS["login"].seconds)
        assert hit(session, "login", "1.2.3.4", now=later).remaining == allowed - 1
