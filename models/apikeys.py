"""Keys that let another system (a 311 app, a hotline, FixMyStreet) file cases over the Open311 API."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime


class ApiKey(Base):
    """One client's key: only its SHA-256 is kept, so a copy of the database does not hand out working keys."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: The key's first characters, so an operator can tell keys apart in a listing.
    prefix: Mapped[str] = mapped_column(String(12))
    #: Requests allowed per ``rate_seconds`` (e.g. 60 per 60 s).
    rate_limit: Mapped[int] = mapped_column(Integer, default=60)
    rate_seconds: Mapped[int] = mapped_column(Integer, default=60)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Where the status updates of this client's cases are posted (``channels.open311.callback``); None: it polls.
    callback_url: Mapped[str | None] = mapped_column(String(500))
