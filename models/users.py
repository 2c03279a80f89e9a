"""People who talk to the bot and their roles."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import BigInteger, Boolean, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime


class Role(enum.StrEnum):
    CITIZEN = "citizen"
    OFFICER = "officer"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    telegram_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    first_name: Mapped[str] = mapped_column(String(128), default="")
    username: Mapped[str | None] = mapped_column(String(64))
    #: Language chosen with /lang; None means "follow Telegram's language_code".
    language: Mapped[str | None] = mapped_column(String(8))
    telegram_language: Mapped[str | None] = mapped_column(String(16))
    role: Mapped[Role] = mapped_column(String(16), default=Role.CITIZEN)
    banned: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Set when Telegram answers 403 (the user blocked the bot); nothing more is sent.
    blocked_bot: Mapped[bool] = mapped_column(Boolean, default=False)
    leaderboard_opt_in: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def locale(self) -> str:
        """The catalog this user reads: ``zh_CN`` or ``en``."""
        chosen = self.language or self.telegram_language or ""
        return "zh_CN" if chosen.lower().startswith("zh") else "en"
