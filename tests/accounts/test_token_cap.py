"""The cap on a member's live API tokens, in the service: on SQLite and PostgreSQL, revoked tokens
free their place, and two creations at once never take a member past the cap."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from paperwire.accounts.tokens import create_token, live_count, revoke_token
from paperwire.accounts.users import create_user
from paperwire.db.engine import session_scope
from paperwire.db.models import User
from paperwire.errors import TooManyTokens


def _member(engine: Engine) -> int:
    with session_scope(engine) as db:
        return create_user(db, "ada", "ada@example.org", "analytical-engine").id


def test_the_cap_counts_live_tokens_only(engine: Engine) -> None:
    user_id = _member(engine)
    with session_scope(engine) as db:
        user = db.get(User, user_id)
        assert user is not None
        made = [create_token(db, user, f"t{i}", limit=3) for i in range(3)]
    refused = pytest.raises(TooManyTokens, match=r"the most live API tokens this site allows \(3\)")
    with refused, session_scope(engine) as db:
        user = db.get(User, user_id)
        assert user is not None
        create_token(db, user, "one more", limit=3)
    with session_scope(engine) as db:
        user = db.get(User, user_id)
        assert user is not None and live_count(db, user_id) == 3
        revoke_token(db, user, made[0].token.id)
        create_token(db, user, "in its place", limit=3)
    with session_scope(engine) as db:
        assert live_count(db, user_id) == 3


def test_two_creations_at_once_do_not_pass_the_cap(engine: Engine) -> None:
    user_id = _member(engine)
    outcome: list[str] = []

    def second() -> None:
        try:
            with session_scope(engine) as db:
                user = db.get(User, user_id)
                assert user is not None
                create_token(db, user, "second", limit=1)
            outcome.append("made")
        except TooManyTokens:
            outcome.append("refused")

    first = Session(engine, expire_on_commit=False)
    try:
        user = first.get(User, user_id)
        assert user is not None
        create_token(first, user, "first", limit=1)  # flushed, its transaction still open
        racer = threading.Thread(target=second)
        racer.start()
        time.sleep(0.5)  # the second creation is waiting on the first's lock by now
        assert outcome == []
        first.commit()
    finally:
        first.close()
    racer.join(30)
    assert outcome == ["refused"]
    with session_scope(engine) as db:
        assert live_count(db, user_id) == 1
