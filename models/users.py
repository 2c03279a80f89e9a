"""People who talk to the bot and their roles; their channel accounts are in ``models.identities``."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Boolean, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, UTCDateTime

if TYPE_CHECKING:
    from models.identities import UserIdentity


class Role(enum.StrEnum):
    CITIZEN = "citizen"
    OFFICER = "officer"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    first_name: Mapped[str] = mapped_column(String(128), default="")
    #: Language chosen with /lang; None means "follow the channel's language".
    language: Mapped[str | None] = mapped_column(String(8))
    #: The language the channel they last wrote from reports for them.
    channel_language: Mapped[str | None] = mapped_column(String(16))
    role: Mapped[Role] = mapped_column(String(16), default=Role.CITIZEN)
    banned: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Where notices reach this person: the channel and address they last wrote from. None when every
    #: account they have is blocked (nothing is queued for them until they write again).
    contact_channel: Mapped[str | None] = mapped_column(String(16))
    contact_address: Mapped[str | None] = mapped_column(String(64))
    leaderboard_opt_in: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    #: Written with a new user (``User(identities=[...])``); read through ``services.users``, never lazily.
    identities: Mapped[list[UserIdentity]] = relationship(lazy="raise", cascade="save-update, merge, delete")

    @property
    def locale(self) -> str:
        """The catalog this user reads: ``zh_CN`` or ``en``."""
        chosen = self.language or self.channel_language or ""
        return "zh_CN" if chosen.lower().startswith("zh") else "en"

    @property
    def reachable(self) -> bool:
        """Whether a notice queued for this person can be delivered."""
        return self.contact_address is not None and not self.banned
