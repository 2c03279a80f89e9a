"""Cases, their history, followers and photos; the report draft a citizen is filling in."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, UTCDateTime
from models.status import CaseStatus


class RoutedBy(enum.StrEnum):
    INSIDE = "inside"  # the point lies in the unit
    SNAPPED = "snapped"  # nearest unit within the snapping distance
    CATEGORY_RULE = "category_rule"  # the category goes to a department
    MANUAL = "manual"  # a supervisor assigned it
    UNROUTED = "unrouted"


class Case(Base):
    __tablename__ = "cases"
    __table_args__ = (
        # The SLA sweep reads only rows whose next check is due: its cost follows the due cases, not the table.
        Index("ix_cases_sla", "next_check_at"),
        Index("ix_cases_status_unit", "status", "unit_id"),
        Index("ix_cases_reporter", "reporter_id", "reported_at"),
        Index("ix_cases_category_reported", "category", "reported_at"),
        Index("ix_cases_reported_at", "reported_at"),
        Index("ix_cases_closed_at", "closed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reporter_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    category: Mapped[str] = mapped_column(String(16))
    status: Mapped[CaseStatus] = mapped_column(String(16), default=CaseStatus.SUBMITTED)
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    address: Mapped[str | None] = mapped_column(String(300))
    note: Mapped[str | None] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(8), default="en")
    #: Where the case came from: a chat channel's name, or ``open311:<key name>``.
    source: Mapped[str] = mapped_column(String(80), default="", server_default="")

    unit_id: Mapped[str | None] = mapped_column(ForeignKey("grid_units.id", ondelete="SET NULL"))
    #: Unit ids from the grid up to the district, '>'-separated (kept so escalation survives re-imports).
    chain: Mapped[str] = mapped_column(String(400), default="")
    routed_by: Mapped[RoutedBy] = mapped_column(String(16), default=RoutedBy.UNROUTED)
    snap_distance_m: Mapped[float | None] = mapped_column(Float)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    parent_case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id", ondelete="SET NULL"))

    reported_at: Mapped[datetime] = mapped_column(UTCDateTime)
    dispatched_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    suspended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    suspended_from: Mapped[CaseStatus | None] = mapped_column(String(16))
    #: When the current deadline's clock started (dispatch, or the rework order).
    clock_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The limit's unit: calendar_hours, working_hours, working_days or calendar_days.
    clock_unit: Mapped[str | None] = mapped_column(String(16))

    rework_count: Mapped[int] = mapped_column(Integer, default=0)
    return_count: Mapped[int] = mapped_column(Integer, default=0)
    extension_count: Mapped[int] = mapped_column(Integer, default=0)
    #: The reporter's answer after resolution: True "Fixed", False "Not fixed", None no answer.
    satisfied: Mapped[bool | None] = mapped_column(Boolean)
    closed_on_time: Mapped[bool | None] = mapped_column(Boolean)

    # SLA sweep markers: each notice is sent once per case and level.
    next_check_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reminder_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    escalation_level: Mapped[int] = mapped_column(Integer, default=0)
    last_chase_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)

    events: Mapped[list[CaseEvent]] = relationship(
        back_populates="case", order_by="CaseEvent.id", cascade="all, delete-orphan", lazy="selectin"
    )
    photos: Mapped[list[Photo]] = relationship(
        back_populates="case", order_by="Photo.id", lazy="selectin", foreign_keys="Photo.case_id"
    )

    @property
    def number(self) -> str:
        """The number citizens and officers see, e.g. ``#42``."""
        return f"#{self.id}"


class CaseEvent(Base):
    """One line of a case's history: who moved it from where to where, when and why."""

    __tablename__ = "case_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    from_status: Mapped[CaseStatus | None] = mapped_column(String(16))
    to_status: Mapped[CaseStatus] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(32))
    note: Mapped[str | None] = mapped_column(Text)

    case: Mapped[Case] = relationship(back_populates="events")


class CaseFollower(Base):
    """Someone who receives a case's status updates (the reporter, reporters of its duplicates)."""

    __tablename__ = "case_followers"

    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)


class PhotoKind(enum.StrEnum):
    REPORT = "report"  # what the citizen saw
    PROOF = "proof"  # the officer's after-photo


class Photo(Base):
    __tablename__ = "photos"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    draft_id: Mapped[int | None] = mapped_column(ForeignKey("report_drafts.id", ondelete="SET NULL"), index=True)
    kind: Mapped[PhotoKind] = mapped_column(String(8), default=PhotoKind.REPORT)
    #: The channel the picture came from, and its id there (reused to show it again on that channel).
    channel: Mapped[str | None] = mapped_column(String(16))
    file_id: Mapped[str] = mapped_column(String(255))
    file_unique_id: Mapped[str] = mapped_column(String(128), default="")
    local_path: Mapped[str | None] = mapped_column(String(400))
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    file_size: Mapped[int | None] = mapped_column(Integer)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    case: Mapped[Case | None] = relationship(back_populates="photos", foreign_keys=[case_id])


class DraftStep(enum.StrEnum):
    PHOTOS = "photos"
    CATEGORY = "category"
    LOCATION = "location"
    NOTE = "note"
    CONFIRM = "confirm"


class ReportDraft(Base):
    """The report a citizen is putting together; one per user, kept in the database so restarts lose nothing."""

    __tablename__ = "report_drafts"
    # Ids are never reused on SQLite either: a button of a finished draft must not act on a newer one.
    __table_args__ = {"sqlite_autoincrement": True}  # noqa: RUF012  (SQLAlchemy reads it as a plain dict)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    step: Mapped[DraftStep] = mapped_column(String(16), default=DraftStep.PHOTOS)
    category: Mapped[str | None] = mapped_column(String(16))
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    address: Mapped[str | None] = mapped_column(String(300))
    location_source: Mapped[str | None] = mapped_column(String(16))
    exif_lat: Mapped[float | None] = mapped_column(Float)
    exif_lon: Mapped[float | None] = mapped_column(Float)
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)

    photos: Mapped[list[Photo]] = relationship(order_by="Photo.id", lazy="selectin", foreign_keys="Photo.draft_id")


class AlbumReply(Base):
    """An album someone is sending: its photos arrive one by one with no count and no end, and get one answer.

    The first photo of an album adds the row with the time the answer is due; whichever process first claims the
    row at that time (``reply_at`` set back to None) answers; photos arriving later find the answer given. A row
    of its own rather than a column of the draft, because refused photos (a ban, the hourly limit, a file that
    is no image) have no draft, and their album is answered once too.
    """

    __tablename__ = "album_replies"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    album_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    #: When the album's one answer is due; None once it was given.
    reply_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class PendingInput(Base):
    """A question the bot asked an officer or supervisor and is waiting for (a proof photo, a reason...)."""

    __tablename__ = "pending_inputs"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    data: Mapped[str] = mapped_column(Text, default="{}")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
