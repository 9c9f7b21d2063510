"""Creating accounts and signing in, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, func, select

from paperwire.accounts.passwords import verify_password
from paperwire.accounts.users import AccountExists, InvalidAccount, authenticate, create_user
from paperwire.db.engine import session_scope
from paperwire.db.models import User


def test_create_user_stores_a_hash_and_a_normalised_address(engine: Engine) -> None:
    with session_scope(engine) as session:
        user = create_user(session, "ada", " Ada@Example.ORG ", "analytical-engine", "admin")
        user_id = user.id
    with session_scope(engine) as session:
        stored = session.get(User, user_id)
        assert stored is not None
        assert (stored.username, stored.email, stored.role) == ("ada", "ada@example.org", "admin")
        assert stored.password_hash != "analytical-engine"
        assert verify_password(stored.password_hash, "analytical-engine")


@pytest.mark.parametrize(
    ("name", "email", "message"),
    [
        ("ADA", "other@example.org", "user name 'ADA' is already taken"),
        ("other", "ADA@example.org", "e-mail address 'ada@example.org' is already taken"),
    ],
)
def test_duplicates_are_refused_by_name_or_address(
    engine: Engine, name: str, email: str, message: str
) -> None:
    with session_scope(engine) as session:
        create_user(session, "ada", "ada@example.org", "analytical-engine")
    with pytest.raises(AccountExists, match=message), session_scope(engine) as session:
        create_user(session, name, email, "another-password")
    with session_scope(engine) as session:
        assert session.scalar(select(func.count()).select_from(User)) == 1


@pytest.mark.parametrize(
    ("name", "email", "password", "role", "message"),
    [
        ("ada", "ada@example.org", "long-enough", "owner", "role must be one of"),
        ("ada", "ada.example.org", "long-enough", "member", "e-mail address 'ada.example.org'"),
        ("ada", "ada@localhost", "long-enough", "member", "e-mail address 'ada@localhost'"),
        ("ada lovelace", "ada@example.org", "long-enough", "member", "user name"),
        ("", "ada@example.org", "long-enough", "member", "user name"),
        ("ada", "ada@example.org", "short", "member", "at least 8 characters"),
    ],
)
def test_bad_input_is_refused_with_the_reason(
    engine: Engine, name: str, email: str, password: str, role: str, message: str
) -> None:
    with pytest.raises(InvalidAccount, match=message), session_scope(engine) as session:
        create_user(session, name, email, password, role)
    assert InvalidAccount.exit_code == 2


def test_authenticate_by_name_or_address(engine: Engine) -> None:
    with session_scope(engine) as session:
        create_user(session, "ada", "ada@example.org", "analytical-engine")
    with session_scope(engine) as session:
        by_name = authenticate(session, "Ada", "analytical-engine")
        by_mail = authenticate(session, "ADA@example.org", "analytical-engine")
        assert by_name is not None and by_mail is not None and by_name.id == by_mail.id
        assert authenticate(session, "ada", "difference-engine") is None
        assert authenticate(session, "babbage", "analytical-engine") is None
