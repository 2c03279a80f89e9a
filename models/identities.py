"""A person's accounts on the chat channels: (channel, external id) → user."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime


class UserIdentity(Base):
    """One account of a user on one channel, with that channel's display name and language."""

    __tablename__ = "identities"
    __table_args__ = (UniqueConstraint("channel", "external_id", name="uq_identities_channel_external"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    #: The adapter's name for its channel; the core never interprets it.
    channel: Mapped[str] = mapped_column(String(16))
    #: The person's id on that channel (a number or an opaque string), as text.
    external_id: Mapped[str] = mapped_column(String(64))
    display_name: Mapped[str] = mapped_column(String(128), default="")
    username: Mapped[str | None] = mapped_column(String(64))
    #: The language the channel reports for the person (a client setting), not their /lang choice.
    language: Mapped[str | None] = mapped_column(String(16))
    #: The person blocked the bot on this channel (or left it): nothing more is sent here.
    blocked: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
