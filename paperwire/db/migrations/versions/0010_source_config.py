"""Each harvest source's configuration in the database (the live one, edited at /admin/sources;
the PAPERWIRE_CONFIG file seeds it), whether it is paused, and when an admin deleted it

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 04:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("intake_sources") as batch:
        batch.add_column(sa.Column("config", sa.JSON(), nullable=True))
        batch.add_column(
            sa.Column("paused", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(sa.Column("deleted_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("intake_sources") as batch:
        batch.drop_column("deleted_at")
        batch.drop_column("paused")
        batch.drop_column("config")
