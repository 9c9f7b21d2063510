"""The schema comes from migrations, and migrations match the models."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect

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
