"""Create or migrate the database to the newest schema (idempotent), and check models against migrations.

On PostgreSQL the migration runs under a transaction-scoped advisory lock, so every node may run
``paperwire init`` or ``serve`` at once: the first migrates, the others wait for it and then find
the schema current (SQLite's write lock serialises migrations on one machine).
"""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, text

from paperwire.db.files import private_file

MIGRATIONS = Path(__file__).with_name("migrations")
# pg_advisory_xact_lock key of migrations (any fixed number no other code uses).
MIGRATION_LOCK = 0x70617065727769


def alembic_config(engine: Engine | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    if engine is not None:
        cfg.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    return cfg


@contextmanager
def _file_lock(engine: Engine) -> Iterator[None]:
    """On an SQLite file, an exclusive lock on a file beside it for the migration's duration."""
    database = engine.url.database if engine.dialect.name == "sqlite" else None
    if not database or database == ":memory:":
        yield
        return
    with open(private_file(Path(f"{database}.migrate-lock")), "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def upgrade(engine: Engine) -> tuple[str | None, str]:
    """Apply every pending migration; returns (revision before, revision after). Safe to run from
    several processes at once."""
    with _file_lock(engine):
        return _upgrade(engine)


def _upgrade(engine: Engine) -> tuple[str | None, str]:
    cfg = alembic_config(engine)
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
        before = MigrationContext.configure(conn).get_current_revision()
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
    head = ScriptDirectory.from_config(cfg).get_current_head() or ""
    return before, head


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def is_up_to_date(engine: Engine) -> bool:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    return current_revision(engine) == head
