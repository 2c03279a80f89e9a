"""The notification outbox: every message a state change causes, written in the same transaction."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime


class DeliveryStatus(enum.StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"  # gave up after max attempts, or the recipient blocked the bot


class OutboxMessage(Base):
    """One channel-neutral message (``services.messages``, as JSON) for one address, and how delivering it went."""

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_due", "status", "next_attempt_at"),
        Index("ix_outbox_address", "channel", "address", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Which adapter delivers it, and to whom on that channel (a chat, an account id, a URL).
    channel: Mapped[str] = mapped_column(String(16))
    address: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(32))  # assignment, reminder, overdue, escalation, status, summary...
    payload: Mapped[str] = mapped_column(Text)  # services.messages.to_json
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    #: Makes a notice idempotent: a second write with the same key is ignored.
    dedupe_key: Mapped[str | None] = mapped_column(String(128), unique=True)
    #: For edits: the outbox row whose delivered message this one replaces.
    ref_id: Mapped[int | None] = mapped_column(ForeignKey("outbox.id", ondelete="SET NULL"), index=True)

    status: Mapped[DeliveryStatus] = mapped_column(String(8), default=DeliveryStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The channel's ids of the delivered messages (an album has several), comma-separated.
    delivered_ids: Mapped[str | None] = mapped_column(String(200))
    last_error: Mapped[str | None] = mapped_column(String(500))

    @property
    def delivered(self) -> list[str]:
        """The delivered message ids, first one first."""
        return [part for part in (self.delivered_ids or "").split(",") if part]
