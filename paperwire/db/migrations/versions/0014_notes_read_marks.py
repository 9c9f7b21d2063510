"""Notes and read marks: a member's private Markdown note on a paper, and the papers they marked read

Both are keyed by (member, paper) and go with either.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-08 01:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "notes",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("paper_id", sa.String(length=64), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("body_html", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["paper_id"], ["papers.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id", "paper_id"),
    )
    op.create_index("ix_notes_paper_id", "notes", ["paper_id"])
    op.create_table(
        "read_marks",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("paper_id", sa.String(length=64), nullable=False),
        sa.Column("read_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["paper_id"], ["papers.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id", "paper_id"),
    )
    op.create_index("ix_read_marks_paper_id", "read_marks", ["paper_id"])


def downgrade() -> None:
    op.drop_index("ix_read_marks_paper_id", table_name="read_marks")
    op.drop_table("read_marks")
    op.drop_index("ix_notes_paper_id", table_name="notes")
    op.drop_table("notes")
