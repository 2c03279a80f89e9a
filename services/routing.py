"""Routing as data: (point → lowest-level grid unit) and (category → department) pick the responsible unit.

The point lookup runs over an in-memory ``GridIndex`` of the lowest unit level present in the database
(usually ``grid``; a city that imported only districts routes to districts). The index is built by a start-up
hook, rebuilt in-process after an import, and re-checked against the database at most every ``_RECHECK`` so
a bot process notices an import done from another process (the CLI) without a restart.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

import shapely
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from geo.crs import validate_latlon
from geo.grid_index import GridIndex
from models.cases import RoutedBy
from models.grid import LEVEL_ORDER, GridUnit
from models.uow import UnitOfWork
from services.context import Services

log = logging.getLogger(__name__)

_RECHECK = timedelta(seconds=60)
#: Deeper than any real hierarchy (grid → community → street → district); guards against parent cycles.
_MAX_DEPTH = 16

GridVersion = tuple[int, datetime | None]


@dataclass(frozen=True)
class RouteDecision:
    """Where a report goes: the unit (None → dispatcher queue), its escalation chain and how it was found."""

    unit_id: str | None
    chain: tuple[str, ...]
    routed_by: RoutedBy
    snap_distance_m: float | None = None
    unit_name: str | None = None  # known when the grid index found the unit

    @property
    def chain_text(self) -> str:
        """The chain as stored on a case: ``grid>community>street>district``."""
        return ">".join(self.chain)


def install(services: Services) -> None:
    """Register the grid index, then the offline geocoder's index built beside it, as start-up hooks."""
    from services.intake_places import load_offline_geocoder  # it reads the grid index; routing does not need it

    for hook in (load_grid_index, load_offline_geocoder):
        if hook not in services.startup_hooks:
            services.startup_hooks.append(hook)


def grid_index(services: Services) -> GridIndex:
    """The current index (an empty one if none was built yet)."""
    index = services.grid_index
    if index is None:
        index = GridIndex([], snap_distance_m=services.config.routing.snap_distance_m)
    return index


async def load_grid_index(services: Services) -> None:
    """Build the index from the database's lowest-level active units into ``services.grid_index``."""
    async with UnitOfWork(services.db) as uow:
        version = await _grid_version(uow.session)
        rows = await _routable_rows(uow.session)
        parents = await unit_parents(uow.session)
    # Parsing and indexing 100k polygons takes seconds: keep the event loop free meanwhile.
    index = await asyncio.to_thread(_build_index, rows, services.config.routing.snap_distance_m)
    services.grid_index = index
    # Kept with the index (and rebuilt with it), so routing a report walks up the chain without a query per level.
    services.grid_parents = parents
    services.grid_version = version
    services.grid_checked_at = services.clock.now()
    log.info("grid index built with %d units", len(index))


async def refresh_grid_index(services: Services, session: AsyncSession) -> None:
    """Rebuild the index if the units in the database changed since it was built (checked once a minute)."""
    now = services.clock.now()
    checked = services.grid_checked_at
    if checked is not None and now - checked < _RECHECK:
        return
    services.grid_checked_at = now
    if await _grid_version(session) != services.grid_version:
        await load_grid_index(services)


async def _grid_version(session: AsyncSession) -> GridVersion:
    # Imports stamp updated_at on every unit they change, so (count, newest stamp) moves whenever units do.
    row = (await session.execute(select(func.count(GridUnit.id), func.max(GridUnit.updated_at)))).one()
    return int(row[0]), row[1]


async def _routable_rows(session: AsyncSession) -> list[tuple[str, str, str]]:
    active_with_area = (GridUnit.active.is_(True), GridUnit.geometry.is_not(None))
    present = set(await session.scalars(select(GridUnit.level).where(*active_with_area).distinct()))
    level = next((lvl for lvl in LEVEL_ORDER if lvl in present), None)
    if level is None:
        return []
    query = select(GridUnit.id, GridUnit.name, GridUnit.geometry).where(*active_with_area, GridUnit.level == level)
    return [(r.id, r.name, r.geometry) for r in await session.execute(query)]


def _build_index(rows: list[tuple[str, str, str]], snap_distance_m: float) -> GridIndex:
    geometries = shapely.from_geojson([r[2] for r in rows]) if rows else []
    units = [(r[0], r[1], g) for r, g in zip(rows, geometries, strict=True)]
    return GridIndex(units, snap_distance_m=snap_distance_m)


async def route(services: Services, session: AsyncSession, lat: float, lon: float, category: str) -> RouteDecision:
    """Pick the unit for a WGS-84 point and a category; raises ``InvalidCoordinates`` if impossible."""
    lat, lon = validate_latlon(lat, lon)
    department = await _category_unit(services, session, category)
    if department is not None:
        return RouteDecision(department, await unit_chain(session, department), RoutedBy.CATEGORY_RULE)
    await refresh_grid_index(services, session)
    found = grid_index(services).locate(lat, lon, snap_distance_m=services.config.routing.snap_distance_m)
    if found is None:
        return RouteDecision(None, (), RoutedBy.UNROUTED)
    parents = services.grid_parents
    chain = chain_from(parents, found.unit_id) if parents else await unit_chain(session, found.unit_id)
    if found.snapped:
        return RouteDecision(found.unit_id, chain, RoutedBy.SNAPPED, found.distance_m, found.name)
    return RouteDecision(found.unit_id, chain, RoutedBy.INSIDE, unit_name=found.name)


async def outside_city(services: Services, session: AsyncSession, lat: float, lon: float) -> float | None:
    """Metres from a valid WGS-84 point to the city's area when beyond ``routing.far_from_city_m``, else None.

    The city's area is the hull of the routable units; a city without units (or a limit of 0) has no outside.
    """
    limit = services.config.routing.far_from_city_m
    if limit <= 0:
        return None
    await refresh_grid_index(services, session)
    distance = grid_index(services).distance_to_area_m(lat, lon)
    return distance if distance is not None and distance > limit else None


async def _category_unit(services: Services, session: AsyncSession, category: str) -> str | None:
    for rule in services.config.routing.category_rules:
        if rule.category != category:
            continue
        unit = await session.get(GridUnit, rule.unit)
        if unit is not None and unit.active:
            return unit.id
        # A rule naming a unit nobody imported must not lose the report: fall back to the territory.
        log.warning("category rule %s → %s names no active unit; routing by territory", category, rule.unit)
    return None


async def unit_chain(session: AsyncSession, unit_id: str) -> tuple[str, ...]:
    """``unit_id`` and its ancestors, lowest first (empty if the unit does not exist)."""
    chain: list[str] = []
    current: str | None = unit_id
    while current is not None and current not in chain and len(chain) < _MAX_DEPTH:
        parent = (await session.execute(select(GridUnit.parent_id).where(GridUnit.id == current))).first()
        if parent is None:
            break
        chain.append(current)
        current = parent[0]
    return tuple(chain)


def chain_from(parents: Mapping[str, str | None], unit_id: str) -> tuple[str, ...]:
    """Like ``unit_chain`` over an in-memory ``id → parent_id`` map (for batch lookups)."""
    chain: list[str] = []
    current: str | None = unit_id
    while current is not None and current in parents and current not in chain and len(chain) < _MAX_DEPTH:
        chain.append(current)
        current = parents[current]
    return tuple(chain)


async def unit_parents(session: AsyncSession) -> dict[str, str | None]:
    """Every unit's parent id, for ``chain_from``."""
    return {r.id: r.parent_id for r in await session.execute(select(GridUnit.id, GridUnit.parent_id))}
