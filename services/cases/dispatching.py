"""Putting a case in front of the people who handle it: dispatch to a unit, or to the dispatchers to place.

``dispatch`` stores the routing decision on a new case; ``dispatch_to`` (also used when a supervisor reassigns or
sends a case back) starts its clock and tells the unit's officers, or the supervisors when nobody is bound there.
A supervisor who has to place a case gets buttons for the nearby units.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models.cases import Case, RoutedBy
from models.grid import GridUnit, UnitLevel
from models.status import CaseStatus, transition
from models.users import User
from services import deadlines, notify, responsibility
from services.cases.access import supervises_unit
from services.context import Services
from services.i18n import N_
from services.messages import Choice, Text, text
from services.routing import unit_chain

if TYPE_CHECKING:
    from services.routing import RouteDecision

S = CaseStatus
#: How many nearby units a supervisor is offered to place a case.
ASSIGN_CHOICES = 5


async def dispatch(
    services: Services, session: AsyncSession, case: Case, decision: RouteDecision, *, actor_id: int | None = None
) -> None:
    """Store the routing decision on ``case`` and dispatch it (or park it in the dispatcher queue).

    Routed: the clock starts and every officer of the unit gets the assignment. A unit without officers still
    counts as dispatched; its supervisors (or, failing those, the nearest supervisors up the chain, or the
    admins) get the case instead. Unrouted: supervisors of district-level units and admins are told. The
    reporter's own confirmation is the intake's reply, so followers are not notified here.
    """
    if case.id is None:
        session.add(case)
        await session.flush()
    if decision.unit_id is None:
        case.unit_id, case.chain, case.routed_by = None, "", RoutedBy.UNROUTED
        case.snap_distance_m = None
        transition(case, S.UNROUTED, at=services.clock.now(), actor_id=actor_id, action="unrouted")
        headline = N_("Case {number} could not be routed to a grid. Assign it with /assign.")
        await to_deciders(services, session, case, await notify.unrouted_dispatchers(session), headline)
        return
    await dispatch_to(
        services,
        session,
        case,
        decision.unit_id,
        tuple(decision.chain),
        decision.routed_by,
        decision.snap_distance_m,
        actor_id=actor_id,
        action="dispatch",
    )


async def dispatch_to(
    services: Services,
    session: AsyncSession,
    case: Case,
    unit_id: str,
    chain: Sequence[str],
    routed_by: RoutedBy,
    snap_distance_m: float | None,
    *,
    actor_id: int | None,
    action: str,
    headline: str = N_("New case for your grid."),
) -> None:
    """Dispatch ``case`` to ``unit_id`` with a fresh deadline; no officers there means its supervisors place it."""
    now = services.clock.now()
    case.unit_id, case.chain, case.routed_by, case.snap_distance_m = (
        unit_id,
        ">".join(chain),
        routed_by,
        snap_distance_m,
    )
    case.owner_id = None
    transition(case, S.DISPATCHED, at=now, actor_id=actor_id, action=action)
    deadlines.start_clock(services, case, now)
    officers = await responsibility.officers_of(session, unit_id)
    if officers:
        await notify.assignment(services, session, case, officers, headline)
        return
    supervisors = await responsibility.escalation_targets(session, list(chain), 0)
    headline = N_("Case {number} was dispatched to a unit with no officers bound. Please assign it.")
    await to_deciders(services, session, case, supervisors or await notify.unrouted_dispatchers(session), headline)


async def nearby_units(session: AsyncSession, case: Case, limit: int = 5) -> list[GridUnit]:
    """Units to offer for reassignment: the current unit's siblings, then the nearest units by centroid."""
    current = await session.get(GridUnit, case.unit_id) if case.unit_id else None
    level = current.level if current is not None else UnitLevel.GRID
    found: list[GridUnit] = []
    if current is not None and current.parent_id is not None:
        siblings = select(GridUnit).where(GridUnit.parent_id == current.parent_id, GridUnit.active.is_(True))
        found = [u for u in await session.scalars(siblings.order_by(GridUnit.id)) if u.id != current.id]
    for span in (0.02, 0.2, 2.0):  # degrees: widen the box until enough units turn up
        if len(found) >= limit:
            break
        box = select(GridUnit).where(
            GridUnit.level == level,
            GridUnit.active.is_(True),
            GridUnit.centroid_lat.between(case.lat - span, case.lat + span),
            GridUnit.centroid_lon.between(case.lon - span, case.lon + span),
        )
        found += [u for u in await session.scalars(box) if u.id != case.unit_id and u not in found]
    found.sort(key=lambda u: _squared_distance(case, u))
    siblings_first = [u for u in found if current and u.parent_id == current.parent_id]
    return (siblings_first + [u for u in found if u not in siblings_first])[:limit]


def _squared_distance(case: Case, unit: GridUnit) -> float:
    if unit.centroid_lat is None or unit.centroid_lon is None:
        return float("inf")
    return (unit.centroid_lat - case.lat) ** 2 + (unit.centroid_lon - case.lon) ** 2


async def to_deciders(
    services: Services,
    session: AsyncSession,
    case: Case,
    people: Sequence[User],
    headline: str,
    values: dict[str, object] | None = None,
) -> None:
    """Queue a case to place for each supervisor, with Assign choices for the nearby units they cover."""
    for person in people:
        choices = await assign_buttons(session, case, person)
        await notify.to_supervisors(services, session, case, [person], headline, values, choices=choices)


async def covered_nearby(session: AsyncSession, case: Case, viewer: User) -> list[GridUnit]:
    """The nearby units (``nearby_units``) ``viewer`` covers as a supervisor: the ones they may dispatch to."""
    covered = [
        unit
        for unit in await nearby_units(session, case, limit=2 * ASSIGN_CHOICES)
        if await supervises_unit(session, viewer, await unit_chain(session, unit.id))
    ]
    return covered[:ASSIGN_CHOICES]


async def assign_buttons(session: AsyncSession, case: Case, viewer: User) -> notify.Choices:
    """Choices ``viewer`` gets with a case to place: nearby units they cover, and what its status allows besides."""
    rows: list[tuple[Choice, ...]] = [
        (Choice(text("Assign to {unit}", unit=u.name), f"case:assign:{case.id}:{u.id}"),)
        for u in await covered_nearby(session, case, viewer)
    ]
    status = S(case.status)
    last = []
    if status is S.RETURNED:
        last.append(Choice(Text("Send back"), f"case:sendback:{case.id}"))
    if status in (S.RETURNED, S.UNROUTED):
        last.append(Choice(Text("Reject"), f"case:reject:{case.id}"))
    return (*rows, tuple(last)) if last else tuple(rows)
