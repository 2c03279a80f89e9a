"""Weekly summary subscriptions and the one-row-per-week summary record."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime
from models.cases import Case


class Subscription(Base):
    """A chat that receives the weekly summary, for the whole city (``unit_id`` None) or one street/community."""

    __tablename__ = "subscriptions"
    __table_args__ = (
        UniqueConstraint("channel", "address", name="uq_subscription_address"),
        Index("ix_subscriptions_active", "active"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The chat, group or broadcast channel on its channel.
    channel: Mapped[str] = mapped_column(String(16))
    address: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    unit_id: Mapped[str | None] = mapped_column(ForeignKey("grid_units.id", ondelete="SET NULL"))
    language: Mapped[str] = mapped_column(String(8), default="zh_CN")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: When the chat last (re)subscribed: delivery failures from before then no longer count against it.
    subscribed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: When and why an inactive subscription ended: "unsubscribed" (/unsubscribe) or "blocked" (the chat
    #: blocked the bot or removed it).
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_reason: Mapped[str | None] = mapped_column(String(16))


class WeeklySummary(Base):
    """One row per ISO week: the computed figures, and whether its broadcast was queued."""

    __tablename__ = "weekly_summaries"

    week: Mapped[str] = mapped_column(String(10), primary_key=True)  # e.g. 2026-W47
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    data: Mapped[str] = mapped_column(Text)  # JSON
    chart_path: Mapped[str | None] = mapped_column(String(400))
    queued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


#: The weekly summary's on-time rate reads the cases whose deadline falls in the week; this keeps that read
#: proportional to the week's cases instead of scanning the table.
Index("ix_cases_due_at", Case.due_at)
