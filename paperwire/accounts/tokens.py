"""Personal API tokens: created and revoked by their member, sent as ``Authorization: Bearer``.

A token is ``pw_`` and 43 random URL-safe characters, shown once at creation; the database keeps its
SHA-256 and its first characters (to tell tokens apart in the settings page). A revoked token never
opens anything again. Every function takes the acting member, so nobody can see or revoke another
member's tokens.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from paperwire.db.models import ApiToken, User
from paperwire.errors import TokenNotFound, UsageError
from paperwire.papers.records import now_utc

PREFIX = "pw_"
SHOWN = 10  # characters kept to recognise a token: "pw_" and 7 more
MAX_NAME = 200
# last_used_at is written at most this often per token, so reads do not all become writes.
TOUCH_EVERY = timedelta(minutes=5)


@dataclass(frozen=True)
class NewToken:
    """A token just created: ``secret`` is the only copy there will ever be."""

    token: ApiToken
    secret: str


def sha256_hex(text: str) -> str:
    """What the database keeps of a bearer secret (a session cookie, an API token): its SHA-256."""
    return hashlib.sha256(text.encode()).hexdigest()


def token_hash(secret: str) -> str:
    return sha256_hex(secret)


def create_token(db: Session, user: User, name: str) -> NewToken:
    """A new token for ``user`` named ``name`` (flushed, not committed)."""
    name = " ".join(name.split())
    if not name:
        raise UsageError("give the token a name, e.g. the script that will use it")
    if len(name) > MAX_NAME:
        raise UsageError(f"a token name has at most {MAX_NAME} characters")
    secret = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=user.id,
        name=name,
        token_hash=token_hash(secret),
        prefix=secret[:SHOWN],
        created_at=now_utc(),
    )
    db.add(token)
    db.flush()
    return NewToken(token, secret)


def list_tokens(db: Session, user: User) -> list[ApiToken]:
    """The member's tokens, live ones first, newest first."""
    rows = db.scalars(
        select(ApiToken)
        .where(ApiToken.user_id == user.id)
        .order_by(ApiToken.revoked_at.is_not(None), ApiToken.created_at.desc(), ApiToken.id.desc())
    )
    return list(rows)


def revoke_token(db: Session, user: User, token_id: int) -> ApiToken:
    """Revoke one of the member's own tokens (idempotent); ``TokenNotFound`` for any other id."""
    token = db.get(ApiToken, token_id)
    if token is None or token.user_id != user.id:
        raise TokenNotFound(f"you have no API token {token_id}")
    if token.revoked_at is None:
        token.revoked_at = now_utc()
    return token


def user_for_token(db: Session, secret: str) -> User | None:
    """The active member a live token belongs to, or None (unknown, revoked, or not a token)."""
    if not secret.startswith(PREFIX) or len(secret) > 200:
        return None
    token = db.scalar(
        select(ApiToken).where(
            ApiToken.token_hash == token_hash(secret), ApiToken.revoked_at.is_(None)
        )
    )
    if token is None:
        return None
    user = db.get(User, token.user_id)
    if user is None or not user.is_active:
        return None
    now = now_utc()
    if token.last_used_at is None or now - token.last_used_at > TOUCH_EVERY:
        db.execute(update(ApiToken).where(ApiToken.id == token.id).values(last_used_at=now))
        db.commit()
    return user
