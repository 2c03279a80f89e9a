"""Grid units in the database: GeoJSON import (upsert in place), departments, and places for the geocoder."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import shapely
from shapely import MultiPolygon, Polygon
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from geo.geocoding import Place
from geo.geojson import ImportedUnit, Overlap, RejectedFeature, RepairedFeature, load_feature_collection
from models.grid import LEVEL_ORDER, GridUnit, UnitLevel
from models.grid import Place as PlaceRow
from models.uow import UnitOfWork
from services.context import Services

#: ``(stage, done, total)`` with stage "read" (parsing the file) or "save" (writing units).
ImportProgress = Callable[[str, int, int], None]
_CHUNK = 500


class UnknownUnit(LookupError):
    """A unit id that is not in the database."""

    def __init__(self, unit_id: str) -> None:
        super().__init__(f"no grid unit with id {unit_id!r}")
        self.unit_id = unit_id


@dataclass
class ImportSummary:
    """What an import did, for the operator."""

    level: UnitLevel
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    deactivated: list[str] = field(default_factory=list)
    rejected: list[RejectedFeature] = field(default_factory=list)
    repaired: list[RepairedFeature] = field(default_factory=list)
    overlaps: list[Overlap] = field(default_factory=list)
    #: unit id → parent id named in the file that exists neither in the database nor in the file.
    missing_parents: dict[str, str] = field(default_factory=dict)

    @property
    def imported(self) -> int:
        """Units now in the database from this file."""
        return len(self.created) + len(self.updated) + len(self.unchanged)


def geometry_fields(geometry: Polygon | MultiPolygon) -> tuple[str, float, float]:
    """GeoJSON text and a representative (lat, lon) that lies inside the unit."""
    # The centroid of a crescent-shaped unit can fall outside it; the geocoder must land inside the unit.
    point = geometry.centroid
    if not geometry.covers(point):
        point = geometry.point_on_surface()
    return shapely.to_geojson(geometry), float(point.y), float(point.x)


async def save_unit(
    session: AsyncSession,
    *,
    unit_id: str,
    name: str,
    level: UnitLevel,
    now: datetime,
    parent_id: str | None = None,
    geometry: Polygon | MultiPolygon | None = None,
) -> tuple[GridUnit, bool]:
    """Create or update one unit in place (cases keep referring to it); returns it and whether it changed."""
    text, lat, lon = geometry_fields(geometry) if geometry is not None else (None, None, None)
    unit = await session.get(GridUnit, unit_id)
    if unit is None:
        unit = GridUnit(id=unit_id, updated_at=now)
        session.add(unit)
    changed = _assign(
        unit,
        name=name,
        level=level,
        parent_id=parent_id,
        geometry=text,
        centroid_lat=lat,
        centroid_lon=lon,
        active=True,
    )
    if changed:
        unit.updated_at = now
    await session.flush()
    return unit, changed


def _assign(unit: GridUnit, **values: Any) -> bool:
    changed = False
    for key, value in values.items():
        if getattr(unit, key, None) != value:
            setattr(unit, key, value)
            changed = True
    return changed


async def add_department(
    session: AsyncSession, unit_id: str, name: str, now: datetime, parent_id: str | None = None
) -> GridUnit:
    """Create or rename a department (a unit without territory that category rules can route to)."""
    if parent_id is not None and await session.get(GridUnit, parent_id) is None:
        raise UnknownUnit(parent_id)
    unit, _ = await save_unit(
        session, unit_id=unit_id, name=name, level=UnitLevel.DEPARTMENT, now=now, parent_id=parent_id
    )
    return unit


async def require_unit(session: AsyncSession, unit_id: str) -> GridUnit:
    """The unit with ``unit_id``; raises ``UnknownUnit`` if there is none."""
    unit = await session.get(GridUnit, unit_id)
    if unit is None:
        raise UnknownUnit(unit_id)
    return unit


async def import_grid_file(
    services: Services,
    source: Mapping[str, Any] | str | bytes | os.PathLike[str],
    *,
    level: UnitLevel = UnitLevel.GRID,
    id_field: str = "id",
    name_field: str = "name",
    parent_field: str = "parent",
    crs: str = "wgs84",
    prune: bool = False,
    on_progress: ImportProgress | None = None,
) -> ImportSummary:
    """Read a GeoJSON FeatureCollection and upsert its units at ``level``; rebuilds the routing index."""
    read_progress = None if on_progress is None else (lambda done, total: on_progress("read", done, total))
    result = load_feature_collection(
        source,
        id_field=id_field,
        name_field=name_field,
        parent_field=parent_field,
        crs=crs,
        on_progress=read_progress,
    )
    summary = ImportSummary(level, rejected=result.rejected, repaired=result.repaired, overlaps=result.overlaps)
    now = services.clock.now()
    async with UnitOfWork(services.db) as uow:
        await _upsert(uow.session, result.accepted, level, now, summary, on_progress)
        if prune:
            summary.deactivated = await _deactivate_missing(uow.session, level, result.accepted, now)
        await uow.commit()
    from services.routing import load_grid_index  # routing reads units; units don't need routing

    await load_grid_index(services)
    return summary


async def _upsert(
    session: AsyncSession,
    units: Sequence[ImportedUnit],
    level: UnitLevel,
    now: datetime,
    summary: ImportSummary,
    on_progress: ImportProgress | None,
) -> None:
    in_file = {u.unit_id for u in units}
    named_parents = {u.parent_id for u in units if u.parent_id is not None}
    known = await _existing_ids(session, named_parents - in_file) | (named_parents & in_file)
    late_parents: list[tuple[GridUnit, str]] = []
    for start in range(0, len(units), _CHUNK):
        chunk = units[start : start + _CHUNK]
        existing = {
            u.id: u for u in await session.scalars(select(GridUnit).where(GridUnit.id.in_([u.unit_id for u in chunk])))
        }
        for item in chunk:
            parent = item.parent_id if item.parent_id in known else None
            if item.parent_id is not None and parent is None:
                summary.missing_parents[item.unit_id] = item.parent_id
            row = existing.get(item.unit_id)
            is_new = row is None
            if row is None:
                row = GridUnit(id=item.unit_id, updated_at=now)
                session.add(row)
                # A parent from this same file may not be inserted yet: link it once every row exists.
                if parent in in_file:
                    late_parents.append((row, parent))
                    parent = None
            text, lat, lon = geometry_fields(item.geometry)
            changed = _assign(
                row, name=item.name, level=level, geometry=text, centroid_lat=lat, centroid_lon=lon, active=True
            )
            changed = _assign(row, parent_id=parent) or changed
            if changed:
                row.updated_at = now
            target = summary.created if is_new else summary.updated if changed else summary.unchanged
            target.append(item.unit_id)
        await session.flush()
        if on_progress is not None:
            on_progress("save", min(start + _CHUNK, len(units)), len(units))
    for row, parent_id in late_parents:
        row.parent_id = parent_id
    await session.flush()


async def _existing_ids(session: AsyncSession, ids: set[str]) -> set[str]:
    found: set[str] = set()
    ordered = sorted(ids)
    for start in range(0, len(ordered), _CHUNK):
        chunk = ordered[start : start + _CHUNK]
        found.update(await session.scalars(select(GridUnit.id).where(GridUnit.id.in_(chunk))))
    return found


async def _deactivate_missing(
    session: AsyncSession, level: UnitLevel, units: Sequence[ImportedUnit], now: datetime
) -> list[str]:
    keep = {u.unit_id for u in units}
    active = set(await session.scalars(select(GridUnit.id).where(GridUnit.level == level, GridUnit.active.is_(True))))
    gone = sorted(active - keep)
    for start in range(0, len(gone), _CHUNK):
        chunk = gone[start : start + _CHUNK]
        # Kept as rows, not deleted: old cases still name them.
        await session.execute(update(GridUnit).where(GridUnit.id.in_(chunk)).values(active=False, updated_at=now))
    return gone


async def list_units(session: AsyncSession, level: UnitLevel | None = None) -> list[GridUnit]:
    """Units (optionally of one level), ordered by level and id."""
    query = select(GridUnit).order_by(GridUnit.level, GridUnit.id)
    if level is not None:
        query = query.where(GridUnit.level == level)
    return list(await session.scalars(query))


@dataclass(frozen=True)
class UnitView:
    """A unit as plain values, for listings and for naming a routing chain."""

    id: str
    name: str
    level: str
    parent_id: str | None
    active: bool


async def units(services: Services, level: UnitLevel | None = None) -> list[UnitView]:
    """Every unit (or those of one level), ordered by level and id."""
    async with UnitOfWork(services.db) as uow:
        return [
            UnitView(u.id, u.name, str(u.level), u.parent_id, bool(u.active))
            for u in await list_units(uow.session, level)
        ]


async def save_department(services: Services, unit_id: str, name: str, parent_id: str | None = None) -> UnitView:
    """Create or rename a department (``UnknownUnit`` if the parent is not there)."""
    async with UnitOfWork(services.db) as uow:
        unit = await add_department(uow.session, unit_id, name, services.clock.now(), parent_id)
        await uow.commit()
        return UnitView(unit.id, unit.name, str(unit.level), unit.parent_id, bool(unit.active))


@dataclass(frozen=True)
class UnitShape:
    """An active unit with its territory, for drawing."""

    id: str
    name: str
    level: str
    parent_id: str | None
    shape: Polygon | MultiPolygon


async def unit_shapes(services: Services) -> list[UnitShape]:
    """Every active unit that has a territory, by id."""
    query = select(GridUnit.id, GridUnit.name, GridUnit.level, GridUnit.parent_id, GridUnit.geometry).where(
        GridUnit.active.is_(True), GridUnit.geometry.is_not(None)
    )
    async with UnitOfWork(services.db) as uow:
        rows = (await uow.session.execute(query.order_by(GridUnit.id))).all()
    shapes = shapely.from_geojson([row.geometry for row in rows]) if rows else []
    return [UnitShape(r.id, r.name, str(r.level), r.parent_id, s) for r, s in zip(rows, shapes, strict=True)]


async def offline_places(session: AsyncSession) -> list[Place]:
    """What the offline geocoder resolves: stored places first, then active units by level, lowest first."""
    places = [
        Place(p.name, p.lat, p.lon, tuple(a.strip() for a in p.aliases.split("|") if a.strip()))
        for p in await session.scalars(select(PlaceRow).order_by(PlaceRow.id))
    ]
    rank = {level: i for i, level in enumerate(LEVEL_ORDER)}
    query = select(GridUnit.id, GridUnit.name, GridUnit.level, GridUnit.centroid_lat, GridUnit.centroid_lon).where(
        GridUnit.active.is_(True), GridUnit.centroid_lat.is_not(None), GridUnit.centroid_lon.is_not(None)
    )
    units = sorted((await session.execute(query)).all(), key=lambda u: (rank.get(u.level, len(rank)), u.id))
    places += [Place(u.name, float(u.centroid_lat or 0), float(u.centroid_lon or 0)) for u in units]
    return places
