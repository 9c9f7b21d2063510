"""The private "For you" Atom feed's secret URL: made (or replaced) and revoked by its member.

The URL holds ``pwf_`` and 32 random characters; the database keeps only its SHA-256, so the URL is
shown once, when made. A member has at most one: making a new one revokes the old.
"""

from __future__ import annotations

import secrets

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from paperwire.accounts.tokens import sha256_hex
from paperwire.db.models import FeedSecret, User
from paperwire.papers.records import now_utc

PREFIX = "pwf_"


def make_feed_secret(session: Session, user: User) -> str:
    """A new secret for the member's private feed, replacing any earlier one (flushed)."""
    secret = PREFIX + secrets.token_urlsafe(24)
    session.execute(delete(FeedSecret).where(FeedSecret.user_id == user.id))
    session.add(FeedSecret(user_id=user.id, token_hash=sha256_hex(secret), created_at=now_utc()))
    session.flush()
    return secret


def revoke_feed_secret(session: Session, user: User) -> bool:
    """Stop the member's private feed URL from working; whether there was one."""
    result = session.execute(delete(FeedSecret).where(FeedSecret.user_id == user.id))
    return bool(getattr(result, "rowcount", 0))


def has_feed_secret(session: Session, user: User) -> bool:
    return session.get(FeedSecret, user.id) is not None


def user_for_feed_secret(session: Session, secret: str) -> User | None:
    """The active member whose live feed URL holds ``secret``, or None."""
    if not secret.startswith(PREFIX) or len(secret) > 100:
        return None
    user_id = session.scalar(
        select(FeedSecret.user_id).where(FeedSecret.token_hash == sha256_hex(secret))
    )
    user = session.get(User, user_id) if user_id is not None else None
    return user if user is not None and user.is_active else None
