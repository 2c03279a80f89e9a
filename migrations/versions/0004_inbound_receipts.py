"""inbound receipts: keys of messages a channel already took in (WeChat's redeliveries)

Revision ID: 0004
Revises: 0001
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.base


revision: str = '0004'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('inbound_receipts',
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('key', sa.String(length=160), nullable=False),
    sa.Column('received_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('channel', 'key', name=op.f('pk_inbound_receipts'))
    )
    with op.batch_alter_table('inbound_receipts', schema=None) as batch_op:
        batch_op.create_index('ix_inbound_receipts_expires_at', ['expires_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('inbound_receipts', schema=None) as batch_op:
        batch_op.drop_index('ix_inbound_receipts_expires_at')

    op.drop_table('inbound_receipts')
