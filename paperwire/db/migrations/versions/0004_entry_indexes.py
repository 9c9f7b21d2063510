"""Indexes for trending (entries by submission time) and the daily-papers submitter filter

Without them, at 100,000 papers trending scanned every daily-list entry (about 760 ms a call)
and a submitter filter about 500 ms.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30 17:40:00
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_daily_entries_submitted_at", "daily_entries", ["submitted_at"])
    op.create_index("ix_daily_entries_submitter_name", "daily_entries", ["submitter_name"])


def downgrade() -> None:
    op.drop_index("ix_daily_entries_submitter_name", table_name="daily_entries")
    op.drop_index("ix_daily_entries_submitted_at", table_name="daily_entries")
