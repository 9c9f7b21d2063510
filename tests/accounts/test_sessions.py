"""Server-side sessions, password change, roles: on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import Engine, func, select

from paperwire.accounts import sessions
from paperwire.accounts.users import (
    InvalidAccount,
    UnknownUser,
    authenticate,
    change_password,
    create_user,
    has_role,
    set_role,
)
from paperwire.config import load_settings
from paperwire.db.engine import session_scope
from paperwire.db.models import LoginSession, User

PASSWORD = "analytical-engine"


def _user(engine: Engine, name: str = "ada", role: str = "member") -> int:
    with session_scope(engine) as db:
        return create_user(db, name, f"{name}@example.org", PASSWORD, role).id


def test_a_session_opens_for_its_token_only_and_stores_no_token(engine: Engine) -> None:
    user_id = _user(engine)
    with session_scope(engine) as db:
        user = db.get(User, user_id)
        assert user is not None
        token = sessions.create_session(db, user)
    with session_scope(engine) as db:
        found = sessions.lookup_session(db, token)
        assert found is not None and found.user.username == "ada"
        assert len(found.session.csrf_token) >= 32
        assert sessions.lookup_session(db, token + "x") is None
        assert sessions.lookup_session(db, "") is None
        # Only a hash of the token is kept: the table alone opens nothing.
        assert db.scalar(select(func.count()).where(LoginSession.id == token)) == 0


def test_sessions_expire_and_end(engine: Engine) -> None:
    user_id = _user(engine)
    start = datetime(2026, 11, 1, 12)
    with session_scope(engine) as db:
        user = db.get(User, user_id)
        assert user is not None
        token = sessions.create_session(db, user, now=start)
    with session_scope(engine) as db:
        assert sessions.lookup_session(db, token, now=start + timedelta(days=29)) is not None
        assert sessions.lookup_session(db, token, now=start + sessions.LIFETIME) is None
        sessions.end_session(db, token)
    with session_scope(engine) as db:
        assert sessions.lookup_session(db, token, now=start) is None
        assert sessions.purge_expired(db) == 0


def test_a_deactivated_member_has_no_session(engine: Engine) -> None:
    user_id = _user(engine)
    with session_scope(engine) as db:
        user = db.get(User, user_id)
        assert user is not None
        token = sessions.create_session(db, user)
        user.is_active = False
    with session_scope(engine) as db:
        assert sessions.lookup_session(db, token) is None


def test_changing_the_password_can_end_every_other_session(engine: Engine) -> None:
    user_id = _user(engine)
    other_id = _user(engine, "grace")
    with session_scope(engine) as db:
        user, other = db.get(User, user_id), db.get(User, other_id)
        assert user is not None and other is not None
        mine, laptop, phone = (sessions.create_session(db, user) for _ in range(3))
        theirs = sessions.create_session(db, other)
    with session_scope(engine) as db:
        user = db.get(User, user_id)
        assert user is not None
        with pytest.raises(InvalidAccount, match="current password is not right"):
            change_password(db, user, "wrong-password", "a-new-password")
        with pytest.raises(InvalidAccount, match="at least 8"):
            change_password(db, user, PASSWORD, "short")
        change_password(db, user, PASSWORD, "a-new-password")
        assert sessions.end_user_sessions(db, user_id, keep=mine) == 2
    with session_scope(engine) as db:
        assert sessions.lookup_session(db, mine) is not None
        assert sessions.lookup_session(db, laptop) is None
        assert sessions.lookup_session(db, phone) is None
        assert sessions.lookup_session(db, theirs) is not None
        assert authenticate(db, "ada", PASSWORD) is None
        assert authenticate(db, "ada", "a-new-password") is not None


def test_roles_rank_member_moderator_admin(engine: Engine) -> None:
    _user(engine)
    with session_scope(engine) as db:
        user = set_role(db, "ADA@example.org", "moderator")
        assert user.role == "moderator"
        assert has_role(user, "member") and has_role(user, "moderator")
        assert not has_role(user, "admin") and not has_role(None, "member")
        with pytest.raises(InvalidAccount, match="role must be one of"):
            set_role(db, "ada", "owner")
        with pytest.raises(UnknownUser, match="no member 'nobody'"):
            set_role(db, "nobody", "admin")


@pytest.mark.parametrize(
    ("base_url", "secure"), [("https://papers.example.org", True), ("http://localhost:8000", False)]
)
def test_the_cookie_is_http_only_same_site_and_secure_behind_https(
    base_url: str, secure: bool
) -> None:
    settings = load_settings({"PAPERWIRE_HOME": "/tmp/x", "PAPERWIRE_BASE_URL": base_url})
    attributes = sessions.cookie_attributes(settings)
    assert attributes["httponly"] is True and attributes["samesite"] == "lax"
    assert attributes["secure"] is secure
