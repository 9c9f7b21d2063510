"""Signing in with a password under two limits: attempts per address (``login``) and failed
attempts per account from any address (``login-account``), so that guessing one member's password
from many addresses is slowed as much as from one, and the owner waits at most one window."""

from __future__ import annotations

from sqlalchemy.orm import Session

from paperwire import ratelimit
from paperwire.accounts import users
from paperwire.db.models import User

ACCOUNT_LIMIT = "login-account"


def _account(db: Session, name_or_email: str) -> str:
    # The account's id when it exists (its name and e-mail share one count), else the name given,
    # so an unknown name is throttled alike and answers do not reveal which names exist.
    user = users.find_user(db, name_or_email)
    return f"user:{user.id}" if user is not None else f"name:{name_or_email.strip().lower()}"


def sign_in(db: Session, name_or_email: str, password: str, address: str) -> User | None:
    """The account these credentials open, or None; ``RateLimited`` when the address or the
    account has had too many tries. Commits the counters."""
    ratelimit.hit(db, "login", address)
    account = _account(db, name_or_email)
    db.commit()
    ratelimit.check(db, ACCOUNT_LIMIT, account, message="too many failed sign-ins for this account")
    user = users.authenticate(db, name_or_email, password)
    if user is None:
        ratelimit.record(db, ACCOUNT_LIMIT, account)
    else:
        ratelimit.forget(db, ACCOUNT_LIMIT, account)
    db.commit()
    return user
