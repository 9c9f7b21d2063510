"""An index of the hidden papers alone, so those of the whole archive are found without reading
every paper

The whole archive's list (``/api/daily_papers?p=N`` without a period) seeks its page through the
number of visible papers of each list date: every entry's date (``ix_daily_entries_list_date``)
less the hidden ones, which this index finds (few, usually none). Without it, counting them read
all of ``papers`` (1.9 s cold at 100,000 papers). Partial (only hidden rows): a full index on the
flag was chosen by SQLite's planner for ``hidden IS 0``, every visible paper, and made each list's
ranking scan ``papers`` through it.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 07:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_papers_hidden",
        "papers",
        ["id"],
        sqlite_where=sa.text("hidden = 1"),
        postgresql_where=sa.text("hidden"),
    )


def downgrade() -> None:
    op.drop_index("ix_papers_hidden", table_name="papers")
