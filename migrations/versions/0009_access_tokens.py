"""Access tokens shared by every process of an account.

``access_tokens`` holds one row per account (keyed by its AppID): the token, when it was fetched and when it
expires, so processes serving the same account stop fetching (and invalidating) tokens of their own; and until
when one of them is fetching a new one (the others wait for it).

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import models.base

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the access tokens."""
    op.create_table(
        "access_tokens",
        sa.Column("app_id", sa.String(length=64), nullable=False),
        sa.Column("token", sa.Text(), nullable=False),
        sa.Column("fetched_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("renewing_until", models.base.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("app_id", name=op.f("pk_access_tokens")),
    )


def downgrade() -> None:
    """Drop them."""
    op.drop_table("access_tokens")
