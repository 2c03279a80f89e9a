"""Access tokens of the messaging accounts, kept where every process of an account reads the same one.

An issuer such as WeChat's ``/cgi-bin/token`` hands out a token valid about two hours, allows few fetches a day, and
each fetch invalidates the previous token a few minutes later: one row per account, so one process fetches and
every process uses what it fetched.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime


class AccessToken(Base):
    """The current token of the account ``app_id`` (an empty ``token``: none fetched yet), and its lifetime."""

    __tablename__ = "access_tokens"

    app_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    token: Mapped[str] = mapped_column(Text, default="")
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: When the issuer stops accepting it (processes stop using it a safety margin earlier).
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: A process is fetching a new token until then (its lease; None: nobody is).
    renewing_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True, default=None)
