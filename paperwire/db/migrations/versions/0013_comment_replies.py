"""Replies to comments: a comment may answer another of the same paper (one level)

``comments.parent_id`` names the comment a reply answers (NULL: a comment on the paper itself).
A reply to a reply is stored as a reply to its top comment, so a discussion is never deeper than
one level; deleting a comment deletes its replies.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-08 00:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("comments") as batch:
        batch.add_column(sa.Column("parent_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            "fk_comments_parent_id_comments", "comments", ["parent_id"], ["id"], ondelete="CASCADE"
        )
        batch.create_index("ix_comments_parent_id", ["parent_id"])


def downgrade() -> None:
    with op.batch_alter_table("comments") as batch:
        batch.drop_index("ix_comments_parent_id")
        batch.drop_constraint("fk_comments_parent_id_comments", type_="foreignkey")
        batch.drop_column("parent_id")
