"""Case use cases: dispatch, and what officers and supervisors do with a case.

Each action takes plain values, checks role, ownership and status in the database, moves the case through
``transition()`` and queues the notifications it causes in the same transaction. A user's mistake raises
``CaseActionError`` carrying a message id the adapter translates.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models.cases import Case
from models.grid import BindingRole, OfficerBinding
from models.status import CaseStatus, transition
from models.users import User
from services import deadlines, notify
from services.context import Services
from services.i18n import N_

if TYPE_CHECKING:
    from services.routing import RouteDecision


class CaseActionError(Exception):
    """A user asked for something the case or their role does not allow; ``message`` is a msgid."""

    def __init__(self, message: str, **values: object) -> None:
        super().__init__(message)
        self.message = message
        self.values = values


async def _bound_users(session: AsyncSession, unit_id: str, role: BindingRole) -> list[User]:
    query = (
        select(User)
        .join(OfficerBinding, OfficerBinding.user_id == User.id)
        .where(OfficerBinding.unit_id == unit_id, OfficerBinding.role == role)
        .order_by(User.id)
    )
    return list((await session.scalars(query)).all())


async def dispatch(
    services: Services,
    session: AsyncSession,
    case: Case,
    decision: RouteDecision,
    *,
    actor_id: int | None = None,
) -> None:
    """Store the routing decision on ``case`` and dispatch it (or park it in the dispatcher queue).

    Routed: the clock starts and every officer of the unit gets the assignment. A unit without officers still
    counts as dispatched; its supervisors (or, failing those, the supervisors further up the chain) get the
    case instead. Unrouted: supervisors of district-level units and admins are told.
    """
    now = services.clock.now()
    if case.id is None:
        session.add(case)
        await session.flush()
    case.unit_id = decision.unit_id
    case.chain = ">".join(decision.chain)
    case.routed_by = decision.routed_by
    case.snap_distance_m = decision.snap_distance_m
    if decision.unit_id is None:
        transition(case, CaseStatus.UNROUTED, at=now, actor_id=actor_id, action="unrouted")
        dispatchers = await notify.unrouted_dispatchers(session)
        await notify.to_supervisors(
            services,
            session,
            case,
            dispatchers,
            N_("Case {number} could not be routed to a grid. Assign it with /assign."),
        )
        return
    transition(case, CaseStatus.DISPATCHED, at=now, actor_id=actor_id, action="dispatch")
    case.owner_id = None
    deadlines.start_clock(services, case, now)
    await _deliver_assignment(services, session, case)


async def _deliver_assignment(services: Services, session: AsyncSession, case: Case) -> None:
    """Queue the assignment for the unit's officers, or its supervisors when it has none."""
    assert case.unit_id is not None
    officers = await _bound_users(session, case.unit_id, BindingRole.OFFICER)
    if officers:
        await notify.assignment(services, session, case, officers)
        return
    for unit_id in [case.unit_id, *case.chain.split(">")[1:]]:
        supervisors = await _bound_users(session, unit_id, BindingRole.SUPERVISOR)
        if supervisors:
            headline = N_("Case {number} was dispatched to a unit with no officers bound. Please assign it.")
            await notify.to_supervisors(services, session, case, supervisors, headline)
            return
    await notify.to_supervisors(
        services,
        session,
        case,
        await notify.unrouted_dispatchers(session),
        N_("Case {number} was dispatched to a unit with no officers bound. Please assign it."),
    )
