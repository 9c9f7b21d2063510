"""Embeddings stored once for every node, the change log nodes follow, and the database's id

``paper_embeddings`` holds each paper's vector per model build, computed by whichever worker holds
the lease. ``paper_changes`` gets one row from a trigger whenever a paper is inserted or deleted,
its content or visibility changes, or it gets a new embedding: every node brings its own search
index up to date from it without running the model. On PostgreSQL the triggers also send
``NOTIFY paperwire_papers`` (that change log) and ``NOTIFY paperwire_data`` (anything a page shows
changed) so that nodes wake at once. ``instance`` keeps a random ``database_id`` (made on first
use), so an index can tell the database it was built from.

A later migration that rebuilds ``papers`` or ``paper_embeddings`` on SQLite (``batch_alter_table``
copies the table) drops these triggers and must create them again (``create_triggers``);
``tests/db/test_migrations.py`` checks they exist at the head.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 01:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

# Tables whose changes a cached page or API answer can show.
DATA_TABLES = (
    "papers",
    "daily_entries",
    "votes",
    "comments",
    "collections",
    "collection_items",
    "users",
)
_SQLITE_NOW = "strftime('%Y-%m-%d %H:%M:%f', 'now')"
_PG_NOW = "(clock_timestamp() AT TIME ZONE 'utc')"


def _sqlite_triggers() -> list[str]:
    def log(name: str, when: str, table: str, row: str, condition: str = "") -> str:
        return (
            f"CREATE TRIGGER IF NOT EXISTS {name} AFTER {when} ON {table} {condition} BEGIN "
            f"INSERT INTO paper_changes (paper_id, changed_at) VALUES ({row}, {_SQLITE_NOW}); END"
        )

    changed = "WHEN OLD.content_hash IS NOT NEW.content_hash OR OLD.hidden IS NOT NEW.hidden"
    return [
        log("paper_changes_insert", "INSERT", "papers", "NEW.id"),
        log("paper_changes_delete", "DELETE", "papers", "OLD.id"),
        log("paper_changes_update", "UPDATE OF content_hash, hidden", "papers", "NEW.id", changed),
        log("paper_changes_embedding", "INSERT", "paper_embeddings", "NEW.paper_id"),
        log("paper_changes_reembedding", "UPDATE OF vector", "paper_embeddings", "NEW.paper_id"),
    ]


def _pg_triggers() -> list[str]:
    statements = [
        f"""
        CREATE OR REPLACE FUNCTION paperwire_paper_changed() RETURNS trigger AS $$
        BEGIN
            IF TG_TABLE_NAME = 'paper_embeddings' THEN
                INSERT INTO paper_changes (paper_id, changed_at) VALUES (NEW.paper_id, {_PG_NOW});
            ELSIF TG_OP = 'DELETE' THEN
                INSERT INTO paper_changes (paper_id, changed_at) VALUES (OLD.id, {_PG_NOW});
            ELSE
                INSERT INTO paper_changes (paper_id, changed_at) VALUES (NEW.id, {_PG_NOW});
            END IF;
            PERFORM pg_notify('paperwire_papers', '');
            RETURN NULL;
        END $$ LANGUAGE plpgsql
        """,
        """
        CREATE OR REPLACE FUNCTION paperwire_data_changed() RETURNS trigger AS $$
        BEGIN
            PERFORM pg_notify('paperwire_data', '');
            RETURN NULL;
        END $$ LANGUAGE plpgsql
        """,
        "DROP TRIGGER IF EXISTS paper_changes_write ON papers",
        "CREATE TRIGGER paper_changes_write AFTER INSERT OR DELETE ON papers"
        " FOR EACH ROW EXECUTE FUNCTION paperwire_paper_changed()",
        "DROP TRIGGER IF EXISTS paper_changes_update ON papers",
        "CREATE TRIGGER paper_changes_update AFTER UPDATE ON papers FOR EACH ROW"
        " WHEN (OLD.content_hash IS DISTINCT FROM NEW.content_hash"
        " OR OLD.hidden IS DISTINCT FROM NEW.hidden)"
        " EXECUTE FUNCTION paperwire_paper_changed()",
        "DROP TRIGGER IF EXISTS paper_changes_embedding ON paper_embeddings",
        "CREATE TRIGGER paper_changes_embedding AFTER INSERT OR UPDATE OF vector"
        " ON paper_embeddings FOR EACH ROW EXECUTE FUNCTION paperwire_paper_changed()",
    ]
    for table in DATA_TABLES:
        statements += [
            f"DROP TRIGGER IF EXISTS data_changed ON {table}",
            f"CREATE TRIGGER data_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table}"
            " FOR EACH STATEMENT EXECUTE FUNCTION paperwire_data_changed()",
        ]
    return statements


def create_triggers() -> None:
    """(Re)create the change-log and notification triggers (idempotent)."""
    dialect = op.get_bind().dialect.name
    for statement in _pg_triggers() if dialect == "postgresql" else _sqlite_triggers():
        op.execute(statement)


def upgrade() -> None:
    op.create_table(
        "paper_embeddings",
        sa.Column("paper_id", sa.String(length=64), nullable=False),
        sa.Column("model", sa.String(length=255), nullable=False),
        sa.Column("text_hash", sa.String(length=40), nullable=False),
        sa.Column("content_hash", sa.String(length=40), nullable=False),
        sa.Column("dim", sa.Integer(), nullable=False),
        sa.Column("vector", sa.LargeBinary(), nullable=False),
        sa.Column("computed_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["paper_id"], ["papers.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("paper_id", "model"),
    )
    op.create_table(
        "paper_changes",
        sa.Column("seq", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("paper_id", sa.String(length=64), nullable=False),
        sa.Column("changed_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("seq"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_paper_changes_changed_at", "paper_changes", ["changed_at"])
    op.create_table(
        "instance",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    create_triggers()


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in DATA_TABLES:
            op.execute(f"DROP TRIGGER IF EXISTS data_changed ON {table}")
        op.execute("DROP TRIGGER IF EXISTS paper_changes_write ON papers")
        op.execute("DROP TRIGGER IF EXISTS paper_changes_update ON papers")
    else:
        for name in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS paper_changes_{name}")
    op.drop_table("instance")
    op.drop_index("ix_paper_changes_changed_at", table_name="paper_changes")
    op.drop_table("paper_changes")
    op.drop_table("paper_embeddings")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS paperwire_paper_changed()")
        op.execute("DROP FUNCTION IF EXISTS paperwire_data_changed()")
