"""Albums are answered once, from a row every process can see.

``report_drafts.media_group_id`` goes: albums are tracked in ``album_replies`` (one row per person and album,
with the time its one answer is due), which also covers refused photos that never make a draft.

Revision ID: 0007
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import models.base

revision = "0007"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Drop the draft's album column; add the album replies."""
    # Plain ALTER TABLE ... DROP COLUMN (SQLite >= 3.35): a batch copy of report_drafts would lose its
    # AUTOINCREMENT high-water mark, and a new draft could then take the id of a finished draft whose buttons
    # are still on someone's screen.
    op.drop_column("report_drafts", "media_group_id")
    op.create_table(
        "album_replies",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("album_id", sa.String(length=64), nullable=False),
        sa.Column("reply_at", models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_album_replies_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", "album_id", name=op.f("pk_album_replies")),
    )
    op.create_index(op.f("ix_album_replies_created_at"), "album_replies", ["created_at"], unique=False)


def downgrade() -> None:
    """Bring the album column back."""
    op.drop_index(op.f("ix_album_replies_created_at"), table_name="album_replies")
    op.drop_table("album_replies")
    op.add_column("report_drafts", sa.Column("media_group_id", sa.String(length=64), nullable=True))
