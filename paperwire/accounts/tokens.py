"""Personal API tokens: created and revoked by their member, sent as ``Authorization: Bearer``.

A member holds at most ``PAPERWIRE_MAX_API_TOKENS`` live tokens (``TooManyTokens`` past it; revoking
one frees its place). A token opens the JSON API only (``web.auth``), never a page or form, and the
API's rate limit counts a member's tokens together (``web.api.limits``).

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

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from paperwire.config import default
from paperwire.db.models import ApiToken, User
from paperwire.errors import TokenNotFound, TooManyTokens, UsageError
from paperwire.papers.records import now_utc

PREFIX = "pw_"
DEFAULT_LIMIT = int(default("max_api_tokens"))
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


def live_count(db: Session, user_id: int) -> int:
    """How many unrevoked tokens the member holds."""
    return int(
        db.scalar(
            select(func.count())
            .select_from(ApiToken)
            .where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
        )
        or 0
    )


def create_token(db: Session, user: User, name: str, *, limit: int = DEFAULT_LIMIT) -> NewToken:
    """A new token for ``user`` named ``name`` (flushed, not committed); ``TooManyTokens`` when the
    member already holds ``limit`` live ones (the surfaces pass ``PAPERWIRE_MAX_API_TOKENS``)."""
    name = " ".join(name.split())
    if not name:
        raise UsageError("give the token a name, e.g. the script that will use it")
    if len(name) > MAX_NAME:
        raise UsageError(f"a token name has at most {MAX_NAME} characters")
    # Two creations at once must not both see room for one more: the member's row is locked
    # (PostgreSQL) and the new row is written before counting (SQLite's write lock, held from the
    # insert to the commit, makes a second writer count after the first one committed).
    db.execute(select(User.id).where(User.id == user.id).with_for_update())
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
    if live_count(db, user.id) > limit:
        raise TooManyTokens(  # the caller's rollback takes the new row back
            f"you already hold the most live API tokens this site allows ({limit});"
            " revoke one you no longer use to make a new one"
        )
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
