"""What the city publishes about its cases: place, category, status, deadline, unit and public notes.

Never the reporter (who, how to reach them, which channel account) and never the staff's own notes (return
reasons, extension notes): only what the reporter is told as well. Read with Core statements for the list
(at most ``limit`` rows through the ``reported_at`` or ``category`` index), not ORM objects.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, func, select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from models.cases import Case, CaseEvent, Photo, PhotoKind
from models.grid import GridUnit
from models.status import CaseStatus
from models.uow import UnitOfWork
from services.context import Services

#: Event actions whose note the reporter is shown, and the statuses in which the note still applies.
PUBLIC_NOTES: dict[str, frozenset[CaseStatus]] = {
    "resolve": frozenset({CaseStatus.RESOLVED, CaseStatus.CLOSED}),
    "close": frozenset({CaseStatus.CLOSED}),
    "reject": frozenset({CaseStatus.REJECTED}),
    "suspend": frozenset({CaseStatus.SUSPENDED}),
}


@dataclass(frozen=True)
class CaseFilter:
    """Which cases to list: by id (overriding the rest), else by category, status and reporting time."""

    start: datetime
    end: datetime
    ids: tuple[int, ...] = ()
    categories: tuple[str, ...] = ()
    statuses: tuple[CaseStatus, ...] = ()
    limit: int = 1000


@dataclass(frozen=True)
class PublicCase:
    """One case as published."""

    id: int
    status: CaseStatus
    category: str
    description: str | None
    unit_name: str | None
    reported_at: datetime
    updated_at: datetime
    due_at: datetime | None
    address: str | None
    lat: float
    lon: float
    public_note: str | None = None
    parent_id: int | None = None
    photo_id: int | None = None


_COLUMNS = (
    Case.id,
    Case.status,
    Case.category,
    Case.note,
    GridUnit.name,
    Case.reported_at,
    Case.due_at,
    Case.address,
    Case.lat,
    Case.lon,
    Case.parent_case_id,
)


def _query(wanted: CaseFilter) -> Select[*tuple[Any, ...]]:
    query = select(*_COLUMNS).outerjoin(GridUnit, GridUnit.id == Case.unit_id)
    if wanted.ids:
        return query.where(Case.id.in_(wanted.ids)).order_by(Case.id).limit(wanted.limit)
    query = query.where(Case.reported_at >= wanted.start, Case.reported_at < wanted.end)
    if wanted.categories:
        query = query.where(Case.category.in_(wanted.categories))
    if wanted.statuses:
        query = query.where(Case.status.in_([s.value for s in wanted.statuses]))
    return query.order_by(Case.reported_at.desc(), Case.id.desc()).limit(wanted.limit)


async def list_cases(services: Services, wanted: CaseFilter, *, with_photos: bool = False) -> list[PublicCase]:
    """The published view of the cases ``wanted`` names, newest first (by id when ids are given)."""
    # Core statements on a bare connection: plain rows, no session or identity map for a read-only list.
    async with services.db.engine.connect() as conn:
        rows: list[Any] = list((await conn.execute(_query(wanted))).all())
        ids: list[int] = [row[0] for row in rows]
        history = await _history(conn, ids)
        photos = await _first_photos(conn, ids) if with_photos and ids else {}
    found = []
    for row in rows:
        status = CaseStatus(row[1])
        updated, note, given_with = history.get(row[0], (row[5], None, ""))
        if status not in PUBLIC_NOTES.get(given_with, frozenset()):
            note = None  # e.g. the resolution note of a case sent back for rework
        found.append(
            PublicCase(
                id=row[0],
                status=status,
                category=row[2],
                description=row[3],
                unit_name=row[4],
                reported_at=row[5],
                updated_at=max(updated, row[5]),
                due_at=row[6],
                address=row[7],
                lat=row[8],
                lon=row[9],
                public_note=note,
                parent_id=row[10],
                photo_id=photos.get(row[0]),
            )
        )
    return found


async def _history(conn: AsyncConnection, ids: Sequence[int]) -> dict[int, tuple[datetime, str | None, str]]:
    """Each case's last change, and the newest note the reporter was shown with the action that gave it."""
    if not ids:
        return {}
    query = (
        select(CaseEvent.case_id, CaseEvent.at, CaseEvent.action, CaseEvent.note)
        .where(CaseEvent.case_id.in_(ids))
        .order_by(CaseEvent.case_id, CaseEvent.id)
    )
    found: dict[int, tuple[datetime, str | None, str]] = {}
    for case_id, at, action, note in await conn.execute(query):
        last, public, given_with = found.get(case_id, (at, None, ""))
        if action in PUBLIC_NOTES and note:
            public, given_with = note, action
        found[case_id] = (max(last, at), public, given_with)
    return found


async def _first_photos(conn: AsyncConnection, ids: Sequence[int]) -> dict[int, int]:
    query = (
        select(Photo.case_id, func.min(Photo.id))
        .where(and_(Photo.case_id.in_(ids), Photo.kind == PhotoKind.REPORT, Photo.local_path.is_not(None)))
        .group_by(Photo.case_id)
    )
    return {case_id: int(photo_id) for case_id, photo_id in await conn.execute(query) if case_id is not None}


async def published_photo(services: Services, photo_id: int) -> str | None:
    """The evidence copy (path relative to the data directory) of a case's report photo, or None."""
    query = select(Photo.local_path).where(
        Photo.id == photo_id, Photo.kind == PhotoKind.REPORT, Photo.case_id.is_not(None)
    )
    async with UnitOfWork(services.db) as uow:
        return await uow.session.scalar(query)


_VERSION_SQL = "SELECT (SELECT max(id) FROM case_events), (SELECT max(id) FROM photos)"


async def data_version(services: Services) -> tuple[object, ...]:
    """A stamp that changes whenever a published case changes: every change to a case appends to its history
    (events are never edited) and new photos get new ids. (Unit names are not in it: renames are rare and
    answers are kept a minute at most.) Two primary-key look-ups, asked before every kept answer."""
    reader = services.db.quick_reader()
    if reader is not None:
        return tuple(reader.execute(_VERSION_SQL).fetchone())
    async with services.db.engine.connect() as conn:
        return tuple((await conn.execute(text(_VERSION_SQL))).one())
