"""``paperwire user create`` as a person runs it: a real process against the test's database."""

from __future__ import annotations

import subprocess
import sys

from sqlalchemy import Engine, select

from paperwire.accounts.passwords import verify_password
from paperwire.db.engine import session_scope
from paperwire.db.models import User

CLI = [sys.executable, "-c", "from paperwire.cli import main; main()"]


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, "user", "create", *args],
        env=env,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=120,
    )


def test_create_with_password_then_duplicate_refused(env: dict[str, str], engine: Engine) -> None:
    done = run(
        env, "ada", "--email", "ada@example.org", "--role", "moderator", "--password", "pw-123456"
    )
    assert done.returncode == 0, done.stderr
    assert "created moderator ada <ada@example.org>" in done.stdout
    assert "pw-123456" not in done.stdout
    with session_scope(engine) as session:
        user = session.scalars(select(User)).one()
        assert user.role == "moderator"
        assert verify_password(user.password_hash, "pw-123456")

    again = run(env, "ada", "--email", "other@example.org", "--password", "pw-123456")
    assert again.returncode == 1
    assert "error: user name 'ada' is already taken" in again.stderr
    assert "Traceback" not in again.stderr


def test_without_a_terminal_a_password_is_generated_and_printed_once(
    env: dict[str, str], engine: Engine
) -> None:
    done = run(env, "bea", "--email", "bea@example.org")
    assert done.returncode == 0, done.stderr
    lines = [line for line in done.stdout.splitlines() if line.startswith("password: ")]
    assert len(lines) == 1
    password = lines[0].split()[1]
    assert len(password) >= 16
    with session_scope(engine) as session:
        user = session.scalars(select(User)).one()
        assert (user.username, user.role) == ("bea", "member")
        assert verify_password(user.password_hash, password)


def test_bad_role_and_bad_address_are_usage_errors(env: dict[str, str], engine: Engine) -> None:
    bad_role = run(
        env, "cy", "--email", "cy@example.org", "--role", "owner", "--password", "pw-123456"
    )
    assert bad_role.returncode == 2
    assert "role must be one of member, moderator, admin, not 'owner'" in bad_role.stderr
    bad_mail = run(env, "cy", "--email", "cy-at-example.org", "--password", "pw-123456")
    assert bad_mail.returncode == 2
    assert "e-mail address 'cy-at-example.org' is not valid" in bad_mail.stderr
    with session_scope(engine) as session:
        assert session.scalars(select(User)).all() == []


def test_role_changes_a_members_role_and_names_an_unknown_one(
    env: dict[str, str], engine: Engine
) -> None:
    assert run(env, "ada", "--email", "ada@example.org", "--password", "pw-123456").returncode == 0
    role = [*CLI, "user", "role"]
    done = subprocess.run([*role, "ada", "moderator"], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "ada is now moderator" in done.stdout
    with session_scope(engine) as session:
        assert session.scalars(select(User.role)).one() == "moderator"
    bad = subprocess.run([*role, "ada", "owner"], env=env, capture_output=True, text=True)
    assert bad.returncode == 2 and "role must be one of" in bad.stdout + bad.stderr
    missing = subprocess.run([*role, "nobody", "admin"], env=env, capture_output=True, text=True)
    assert missing.returncode != 0 and "no member 'nobody'" in missing.stdout + missing.stderr
