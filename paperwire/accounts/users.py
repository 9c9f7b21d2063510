"""Member accounts: creating them with validated names, e-mail addresses and roles, and signing in."""

from __future__ import annotations

import functools
import re

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from paperwire.accounts.passwords import hash_password, needs_rehash, verify_password
from paperwire.db.models import User
from paperwire.errors import PaperwireError, UsageError
from paperwire.papers.records import now_utc

ROLES = ("member", "moderator", "admin")
MIN_PASSWORD = 8
MAX_PASSWORD = 1024

_USERNAME_RE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9_.-]{0,62}[A-Za-z0-9])?$")
# Deliberately loose: one @, no spaces, a dot in the domain. Only a confirmation mail proves more.
_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s.]+(?:\.[^@\s.]+)+$")


class InvalidAccount(UsageError):
    """A name, e-mail address, role or password that cannot make an account."""


class AccountExists(PaperwireError):
    """The user name or e-mail address is taken."""

    http_status = 409


class UnknownUser(PaperwireError):
    """No account has this name or e-mail address."""

    http_status = 404


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def _validate(username: str, email: str, password: str, role: str) -> None:
    if not _USERNAME_RE.match(username):
        raise InvalidAccount(
            f"user name {username!r} is not valid: use 1-64 letters, digits, '.', '_' or '-',"
            " starting and ending with a letter or digit"
        )
    if len(email) > 320 or not _EMAIL_RE.match(email):
        raise InvalidAccount(f"e-mail address {email!r} is not valid")
    if role not in ROLES:
        raise InvalidAccount(f"role must be one of {', '.join(ROLES)}, not {role!r}")
    if len(password) < MIN_PASSWORD:
        raise InvalidAccount(f"the password must have at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise InvalidAccount(f"the password must have at most {MAX_PASSWORD} characters")


def check_new_account(session: Session, username: str, email: str) -> bool:
    """Check a sign-up's name and address: ``InvalidAccount`` if malformed, ``AccountExists`` if
    the user name is taken (names are public anyway); returns whether the address is registered,
    which the caller must not reveal."""
    username = (username or "").strip()
    email = normalise_email(email)
    _validate(username, email, "x" * MIN_PASSWORD, "member")
    if session.scalar(select(User.id).where(func.lower(User.username) == username.lower())):
        raise AccountExists(f"user name {username!r} is already taken")
    return session.scalar(select(User.id).where(User.email == email)) is not None


def find_user(session: Session, name_or_email: str) -> User | None:
    """The account with this user name (any case) or e-mail address, or None."""
    key = (name_or_email or "").strip()
    return session.scalar(
        select(User).where(
            or_(func.lower(User.username) == key.lower(), User.email == normalise_email(key))
        )
    )


def create_user(
    session: Session,
    username: str,
    email: str,
    password: str,
    role: str = "member",
    *,
    password_hash: str | None = None,
    verified: bool = True,
) -> User:
    """Add an account (flushed, not committed); ``InvalidAccount`` or ``AccountExists`` say why not.

    Its address counts as verified (``verified``): an operator (``paperwire user create``, the demo)
    vouches for it, and the sign-up form creates an account only from a link mailed to the address.

    ``password_hash``, when given, is ``hash_password(password)`` made earlier by the caller: a batch
    of accounts sharing one password (the demo members) pays for the deliberately slow hash once.
    """
    username = (username or "").strip()
    email = normalise_email(email)
    _validate(username, email, password, role)
    taken = session.execute(
        select(User.username, User.email).where(
            or_(func.lower(User.username) == username.lower(), User.email == email)
        )
    ).first()
    if taken is not None:
        what = (
            f"user name {username!r}"
            if taken.username.lower() == username.lower()
            else f"e-mail address {email!r}"
        )
        raise AccountExists(f"{what} is already taken")
    user = User(
        username=username,
        email=email,
        password_hash=password_hash or hash_password(password),
        role=role,
        is_active=True,
        created_at=now_utc(),
    )
    if verified:
        user.email_verified_at = user.created_at
    session.add(user)
    try:
        session.flush()
    except IntegrityError as exc:
        # Another process created the same name or address between the check and the insert.
        raise AccountExists(
            f"user name {username!r} or e-mail address {email!r} is already taken"
        ) from exc
    return user


@functools.cache
def _dummy_hash() -> str:
    return hash_password("not a password anyone has")


def authenticate(session: Session, name_or_email: str, password: str) -> User | None:
    """The active account these credentials open, or None; upgrades an outdated hash in passing."""
    user = find_user(session, name_or_email)
    if user is None:
        # Spend the same time as a real check, so response times do not reveal which names exist.
        verify_password(_dummy_hash(), password)
        return None
    if not user.is_active or not verify_password(user.password_hash, password):
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


def change_password(session: Session, user: User, current: str, new: str) -> None:
    """Replace the member's password after checking the current one (``InvalidAccount`` says why
    not). The caller ends the member's other sessions (``sessions.end_user_sessions``)."""
    if not verify_password(user.password_hash, current):
        raise InvalidAccount("the current password is not right")
    if len(new) < MIN_PASSWORD:
        raise InvalidAccount(f"the new password must have at least {MIN_PASSWORD} characters")
    if len(new) > MAX_PASSWORD:
        raise InvalidAccount(f"the new password must have at most {MAX_PASSWORD} characters")
    user.password_hash = hash_password(new)
    session.flush()


def set_role(session: Session, name_or_email: str, role: str) -> User:
    """Give the member ``role`` (member, moderator or admin)."""
    if role not in ROLES:
        raise InvalidAccount(f"role must be one of {', '.join(ROLES)}, not {role!r}")
    user = find_user(session, name_or_email)
    if user is None:
        raise UnknownUser(f"there is no member {name_or_email!r}")
    user.role = role
    session.flush()
    return user


def has_role(user: User | None, role: str) -> bool:
    """True when ``user`` holds ``role`` or a higher one (admin > moderator > member)."""
    if user is None or role not in ROLES or user.role not in ROLES:
        return False
    return ROLES.index(user.role) >= ROLES.index(role)
