"""Shared fixtures: a real database per test (SQLite file and PostgreSQL server), the recorded data
in tests/fixtures/data, and a local HTTP server that replays recorded responses."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text

from paperwire.db.engine import make_engine
from paperwire.db.migrate import upgrade
from paperwire.db.models import Base
from tests.no_skip import pytest_make_collect_report, pytest_runtest_makereport  # noqa: F401
from tests.recording import RecordingServer

REPO = Path(__file__).resolve().parent.parent
# Recorded real data, copied from ../shared/data by scripts/make_test_data.py (see its README there).
FIXTURE_DATA = REPO / "tests" / "fixtures" / "data"
PG_ADMIN_URL = os.environ.get(
    "PAPERWIRE_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
REQUIRE_PG = os.environ.get("PAPERWIRE_REQUIRE_POSTGRES") == "1"
# Strong enough for paperwire.secret (a placeholder or short secret is refused everywhere).
TEST_SECRET = "test-secret-0123456789-abcdefghijklmnopqrstuvwxyz"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The recorded data the tests read, laid out as ../shared/data is but kept in the repository:
    the suite never reads ../shared (only benchmarks and ``paperwire eval`` do)."""
    return FIXTURE_DATA


# --- databases -------------------------------------------------------------------------------


def _pg_available() -> str | None:
    try:
        eng = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with eng.connect() as conn:
            conn.execute(text("select 1"))
        eng.dispose()
        return None
    except Exception as exc:  # any failure means "no server here"; the reason is shown in the skip
        return f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"


@contextmanager
def fresh_pg_database() -> Iterator[str]:
    """A new, migrated PostgreSQL database, dropped afterwards (fails or skips, saying why, when
    no server answers)."""
    problem = _pg_available()
    if problem:
        message = (
            f"PostgreSQL not reachable at {PG_ADMIN_URL} ({problem}): PostgreSQL tests skipped"
        )
        if REQUIRE_PG:
            pytest.fail(message)
        pytest.skip(message)
    name = f"paperwire_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    migrated = make_engine(url)
    upgrade(migrated)
    migrated.dispose()
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def pg_server_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this test process, dropped at the end."""
    with fresh_pg_database() as url:
        yield url


def _truncate_pg(engine: Engine) -> None:
    names = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated, empty database URL: an SQLite file, or the session's PostgreSQL database."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'paperwire.db'}"
        engine = make_engine(url)
        upgrade(engine)
        engine.dispose()
        yield url
        return
    url = request.getfixturevalue("pg_server_url")
    engine = make_engine(url)
    _truncate_pg(engine)
    engine.dispose()
    yield url


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    eng = make_engine(database_url)
    yield eng
    eng.dispose()


@pytest.fixture
def env(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Environment for a paperwire process or CLI call bound to this test's database."""
    values = {
        "PAPERWIRE_HOME": str(tmp_path / "home"),
        "PAPERWIRE_DATABASE_URL": database_url,
        "PAPERWIRE_SECRET_KEY": TEST_SECRET,
    }
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    from paperwire.db.engine import dispose_engines

    dispose_engines()
    return {**os.environ, **values}


# --- a local HTTP server replaying recordings -------------------------------------------------


@pytest.fixture
def recording_server() -> Iterator[RecordingServer]:
    server = RecordingServer()
    server.thread.start()
    yield server
    server.httpd.shutdown()
    server.httpd.server_close()
