"""Numbered choices kept in the database, and short invite codes.

``offered_choices`` holds the last numbered list each account was shown, so an answer ("2") reaches the same
choice in any process and after a restart. ``invites.code`` is a short code to type where a deep link cannot be
opened (``绑定 <code>``).

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import models.base

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the offered choices and the invite code."""
    op.create_table(
        "offered_choices",
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("address", sa.String(length=128), nullable=False),
        sa.Column("items", sa.Text(), nullable=False),
        sa.Column("open", sa.Boolean(), nullable=False),
        sa.Column("locale", sa.String(length=8), nullable=False),
        sa.Column("offered_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("channel", "address", name=op.f("pk_offered_choices")),
    )
    op.add_column("invites", sa.Column("code", sa.String(length=16), nullable=True))
    op.create_index("ix_invites_code", "invites", ["code"], unique=True)


def downgrade() -> None:
    """Drop them."""
    op.drop_index("ix_invites_code", table_name="invites")
    op.drop_column("invites", "code")
    op.drop_table("offered_choices")
