"""Choices offered as a numbered list: what a person's "2" means, kept where every process can read it.

A channel without buttons shows choices as numbered lines; the person answers later, possibly to another process
or after a restart. The last list each account was shown is kept here (one row per account).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime


class OfferedChoices(Base):
    """The numbered choices an account was shown last (JSON list of items), and when."""

    __tablename__ = "offered_choices"

    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    address: Mapped[str] = mapped_column(String(128), primary_key=True)
    items: Mapped[str] = mapped_column(Text)
    #: Whether a text that picks none of them may still be something else (an address, a note).
    open: Mapped[bool] = mapped_column(default=False)
    #: The language the list was shown in (an answer that picks nothing is told so in it).
    locale: Mapped[str] = mapped_column(String(8), default="zh_CN")
    offered_at: Mapped[datetime] = mapped_column(UTCDateTime)
