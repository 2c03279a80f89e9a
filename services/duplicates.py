"""Similar cases (相似案件): an open case of the same category close by and recent is the same problem.

The query narrows candidates by category, time and a latitude/longitude box (using the category/time
index); the exact great-circle distance then decides. The nearest candidate wins, the older one on a tie.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models.cases import Case, CaseFollower
from models.status import OPEN_STATUSES, CaseStatus, transition
from services.context import Services

EARTH_RADIUS_M = 6_371_008.8
_M_PER_DEG_LAT = 111_132.0


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle (haversine) distance in metres; well under a metre off at duplicate-check distances."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def bounding_box(lat: float, lon: float, radius_m: float) -> tuple[float, float, float, float]:
    """(min_lat, max_lat, min_lon, max_lon) that surely contains every point within ``radius_m``."""
    dlat = radius_m / _M_PER_DEG_LAT * 1.01
    cos_lat = max(math.cos(math.radians(min(abs(lat) + dlat, 89.9))), 1e-6)
    dlon = min(radius_m / (_M_PER_DEG_LAT * cos_lat) * 1.01, 180.0)
    return lat - dlat, lat + dlat, lon - dlon, lon + dlon


async def find_duplicate(
    session: AsyncSession,
    *,
    category: str,
    lat: float,
    lon: float,
    since: datetime,
    radius_m: float,
    exclude_id: int | None = None,
) -> Case | None:
    """The open case of ``category`` reported since ``since`` nearest to the point within ``radius_m``."""
    min_lat, max_lat, min_lon, max_lon = bounding_box(lat, lon, radius_m)
    query = select(Case).where(
        Case.category == category,
        Case.reported_at >= since,
        Case.status.in_([s.value for s in OPEN_STATUSES]),
        Case.lat.between(min_lat, max_lat),
        Case.lon.between(min_lon, max_lon),
    )
    if exclude_id is not None:
        query = query.where(Case.id != exclude_id)
    nearby = [(distance_m(lat, lon, c.lat, c.lon), c.reported_at, c.id, c) for c in await session.scalars(query)]
    nearby = [item for item in nearby if item[0] <= radius_m]
    return min(nearby, key=lambda item: item[:3])[3] if nearby else None


async def find_duplicate_for(services: Services, session: AsyncSession, case: Case) -> Case | None:
    """An open case that ``case`` duplicates, by the configured radius and window."""
    cfg = services.config.reporting
    return await find_duplicate(
        session,
        category=case.category,
        lat=case.lat,
        lon=case.lon,
        since=case.reported_at - timedelta(hours=cfg.duplicate_window_hours),
        radius_m=cfg.duplicate_radius_m,
        exclude_id=case.id,
    )


async def follow(session: AsyncSession, case_id: int, user_id: int) -> None:
    """Make ``user_id`` receive the case's status updates (idempotent)."""
    if await session.get(CaseFollower, (case_id, user_id)) is None:
        session.add(CaseFollower(case_id=case_id, user_id=user_id))


async def link_duplicate(
    services: Services, session: AsyncSession, case: Case, parent: Case, *, actor_id: int | None
) -> None:
    """Close ``case`` as a duplicate of ``parent``; its reporter follows the parent from now on."""
    case.parent_case_id = parent.id
    transition(
        case,
        CaseStatus.DUPLICATE,
        at=services.clock.now(),
        actor_id=actor_id,
        action="duplicate",
        note=parent.number,
    )
    await follow(session, parent.id, case.reporter_id)
