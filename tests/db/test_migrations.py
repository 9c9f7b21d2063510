"""The schema comes from migrations, and migrations match the models."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect, text

from paperwire.db.migrate import is_up_to_date, upgrade
from paperwire.db.models import Base


def test_models_and_migrations_do_not_drift(engine: Engine) -> None:
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == [], f"models differ from migrations; add a migration: {diff}"


def test_init_is_idempotent(engine: Engine) -> None:
    before = set(inspect(engine).get_table_names())
    first = upgrade(engine)
    second = upgrade(engine)
    assert first[0] == first[1] == second[0] == second[1]
    assert set(inspect(engine).get_table_names()) == before
    assert is_up_to_date(engine)


def test_the_change_log_triggers_exist_at_the_head(engine: Engine) -> None:
    """A migration that rebuilds ``papers`` on SQLite (batch mode copies the table) drops them;
    it must create them again (``create_triggers`` of 0007)."""
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            sql = "SELECT name FROM sqlite_master WHERE type = 'trigger'"
        else:
            sql = "SELECT DISTINCT tgname FROM pg_trigger WHERE NOT tgisinternal"
        names = set(conn.execute(text(sql)).scalars())
    expected = (
        {"paper_changes_insert", "paper_changes_delete", "paper_changes_update"}
        if engine.dialect.name == "sqlite"
        else {"paper_changes_write", "paper_changes_update", "data_changed"}
    )
    assert expected <= names
