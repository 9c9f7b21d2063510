"""Server-side sign-in sessions: create one at sign-in, look it up from the cookie, end it at sign-out
or when the password changes, and the attributes of the cookie that carries it.

The cookie holds a random token; the database keeps only its SHA-256, so a copy of the database opens
no session. Each session has its own CSRF token, which the pages put in every form.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from paperwire.accounts.tokens import sha256_hex
from paperwire.config import Settings
from paperwire.db.models import LoginSession, User
from paperwire.papers.records import now_utc

COOKIE_NAME = "pw_session"
LIFETIME = timedelta(days=30)


@dataclass(frozen=True)
class SignedIn:
    """A live session and its member."""

    session: LoginSession
    user: User


def _key(token: str) -> str:
    return sha256_hex(token)


def create_session(db: Session, user: User, *, now: datetime | None = None) -> str:
    """Start a session for ``user`` (flushed, not committed); returns the token for the cookie.
    Expired sessions are swept out in passing (an indexed delete), so the table stays small."""
    now = now or now_utc()
    purge_expired(db, now=now)
    token = secrets.token_urlsafe(32)
    db.add(
        LoginSession(
            id=_key(token),
            user_id=user.id,
            csrf_token=secrets.token_urlsafe(32),
            created_at=now,
            expires_at=now + LIFETIME,
        )
    )
    db.flush()
    return token


def lookup_session(db: Session, token: str, *, now: datetime | None = None) -> SignedIn | None:
    """The live session of this cookie token and its active member, or None."""
    if not token or len(token) > 128:
        return None
    row = db.execute(
        select(LoginSession, User)
        .join(User, User.id == LoginSession.user_id)
        .where(LoginSession.id == _key(token))
    ).first()
    if row is None:
        return None
    login, user = row
    if login.expires_at <= (now or now_utc()) or not user.is_active:
        return None
    return SignedIn(login, user)


def end_session(db: Session, token: str) -> None:
    """Sign this cookie's session out (nothing happens for an unknown token)."""
    db.execute(delete(LoginSession).where(LoginSession.id == _key(token)))


def end_user_sessions(db: Session, user_id: int, *, keep: str | None = None) -> int:
    """End every session of the member except the one with token ``keep``; returns how many ended."""
    query = delete(LoginSession).where(LoginSession.user_id == user_id)
    if keep:
        query = query.where(LoginSession.id != _key(keep))
    return int(db.execute(query).rowcount or 0)  # type: ignore[attr-defined]


def purge_expired(db: Session, *, now: datetime | None = None) -> int:
    """Delete expired sessions (they open nothing already; this only keeps the table small)."""
    result = db.execute(delete(LoginSession).where(LoginSession.expires_at <= (now or now_utc())))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def cookie_attributes(settings: Settings) -> dict[str, Any]:
    """Keyword arguments for ``Response.set_cookie``: never readable by script, not sent on
    cross-site POSTs, and only over HTTPS when the public address is HTTPS."""
    return {
        "httponly": True,
        "samesite": "lax",
        "secure": settings.base_url.startswith("https://"),
        "path": "/",
    }
