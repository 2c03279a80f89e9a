"""Grid units (网格) with their escalation chain, officers bound to them, and invite links."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, Float, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, UTCDateTime
from models.users import User


class UnitLevel(enum.StrEnum):
    GRID = "grid"
    COMMUNITY = "community"
    STREET = "street"
    DISTRICT = "district"
    DEPARTMENT = "department"  # a specialised team a category can be routed to (e.g. traffic)


#: Escalation order, lowest first.
LEVEL_ORDER = [UnitLevel.GRID, UnitLevel.COMMUNITY, UnitLevel.STREET, UnitLevel.DISTRICT]


class GridUnit(Base):
    __tablename__ = "grid_units"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    level: Mapped[UnitLevel] = mapped_column(String(16), index=True)
    parent_id: Mapped[str | None] = mapped_column(ForeignKey("grid_units.id", ondelete="SET NULL"), index=True)
    #: GeoJSON geometry in WGS-84 (None for departments without territory).
    geometry: Mapped[str | None] = mapped_column(Text)
    centroid_lat: Mapped[float | None] = mapped_column(Float)
    centroid_lon: Mapped[float | None] = mapped_column(Float)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    parent: Mapped[GridUnit | None] = relationship(remote_side=[id], lazy="raise")


class BindingRole(enum.StrEnum):
    OFFICER = "officer"
    SUPERVISOR = "supervisor"


class OfficerBinding(Base):
    """An officer or supervisor responsible for a unit (a supervisor covers every unit below it)."""

    __tablename__ = "officer_bindings"
    __table_args__ = (UniqueConstraint("user_id", "unit_id", name="uq_binding_user_unit"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    unit_id: Mapped[str] = mapped_column(ForeignKey("grid_units.id", ondelete="CASCADE"), index=True)
    role: Mapped[BindingRole] = mapped_column(String(16), default=BindingRole.OFFICER)
    display_name: Mapped[str] = mapped_column(String(128), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(lazy="raise")


class Invite(Base):
    """A single-use, expiring deep link (``/start join_<token>``) that binds whoever opens it."""

    __tablename__ = "invites"
    __table_args__ = (Index("ix_invites_code", "code", unique=True),)

    token: Mapped[str] = mapped_column(String(64), primary_key=True)
    #: A short code to type instead of opening the link (``绑定 <code>`` on a channel without deep links).
    code: Mapped[str | None] = mapped_column(String(16))
    unit_id: Mapped[str] = mapped_column(ForeignKey("grid_units.id", ondelete="CASCADE"))
    role: Mapped[BindingRole] = mapped_column(String(16), default=BindingRole.OFFICER)
    display_name: Mapped[str] = mapped_column(String(128), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Place(Base):
    """A named point (landmark, road, building) the offline geocoder resolves typed addresses against."""

    __tablename__ = "places"
    __table_args__ = (Index("ix_places_name", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    aliases: Mapped[str] = mapped_column(Text, default="")  # '|'-separated
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
