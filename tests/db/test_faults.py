"""Database faults outside the web: the CLI says in one line that the database is busy or
unreachable and exits 75 (try again later), having written nothing, and a programming error is
never mistaken for an outage. Both engines, real locks and a real refused connection."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.exc import SQLAlchemyError

from paperwire.db.faults import unavailable
from paperwire.db.models import User
from paperwire.errors import DatabaseUnavailable
from tests.db.outage import write_lock


def paperwire(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from paperwire.cli import main; main()", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _users(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.scalar(select(func.count()).select_from(User)) or 0)


def _one_error_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert lines[0].startswith("error: The database is busy or unreachable"), stderr
    return lines[0]


def test_cli_write_under_a_lock_exits_75_writes_nothing_and_succeeds_when_retried(
    engine: Engine, env: dict[str, str], database_url: str
) -> None:
    environ = {**env, "PAPERWIRE_DB_LOCK_TIMEOUT": "1"}
    create = ("user", "create", "bob", "--email", "bob@example.org", "--password", "a-long-pass")
    with write_lock(database_url):
        refused = paperwire(environ, *create)
    assert refused.returncode == DatabaseUnavailable.exit_code == 75, refused.stderr
    assert "lock" in _one_error_line(refused.stderr)
    assert _users(engine) == 0
    retried = paperwire(environ, *create)
    assert retried.returncode == 0, retried.stderr
    assert _users(engine) == 1


def test_cli_with_postgresql_unreachable_exits_75_with_the_reason(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # nothing listens there once the socket closes
    environ = {
        **os.environ,
        "PAPERWIRE_HOME": str(tmp_path / "home"),
        "PAPERWIRE_DATABASE_URL": f"postgresql://postgres@127.0.0.1:{port}/none",
    }
    result = paperwire(environ, "user", "role", "bob", "admin")
    assert result.returncode == 75, result.stderr
    assert "refused" in _one_error_line(result.stderr).lower()


@pytest.mark.parametrize("sql", ["SELECT * FROM no_such_table", "SELEC 1"])
def test_programming_errors_are_not_outages(engine: Engine, sql: str) -> None:
    with engine.connect() as conn:
        try:
            conn.execute(text(sql))
        except SQLAlchemyError as exc:
            assert unavailable(exc) is None
        else:
            pytest.fail(f"{sql!r} ran")
