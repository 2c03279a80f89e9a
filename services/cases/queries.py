"""What staff look at: an officer's tasks, a supervisor's queue, and one case with its history.

Read-only: nothing here changes a case. The reporter is never named to staff.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models.cases import Case, CaseEvent
from models.grid import BindingRole, GridUnit, OfficerBinding, UnitLevel
from models.status import OPEN_STATUSES, CaseStatus
from models.uow import UnitOfWork
from models.users import Role, User
from services import responsibility
from services.cases.access import display_name, get_case, require_handler
from services.context import Services

S = CaseStatus


@dataclass(frozen=True)
class HistoryEntry:
    """One line of a case's history as staff see it (the reporter is never named)."""

    at: datetime
    action: str
    from_status: str | None
    to_status: str
    actor: str | None  # a colleague's display name; None for the system or the reporter
    by_reporter: bool
    note: str | None


async def tasks_for(session: AsyncSession, user: User) -> list[Case]:
    """An officer's open work by deadline: cases they own, and cases waiting in their units."""
    units = select(OfficerBinding.unit_id).where(
        OfficerBinding.user_id == user.id, OfficerBinding.role == BindingRole.OFFICER
    )
    owned = (Case.owner_id == user.id) & Case.status.in_([S.ACCEPTED, S.REWORK, S.SUSPENDED])
    waiting = (Case.status == S.DISPATCHED) & Case.unit_id.in_(units)
    query = select(Case).where(owned | waiting).order_by(Case.due_at.asc().nulls_last(), Case.id)
    return list(await session.scalars(query))


async def queue_for(session: AsyncSession, user: User) -> list[Case]:
    """Cases waiting for a supervisor's decision: returned cases they cover, and unrouted ones for dispatchers."""
    supervisor = select(OfficerBinding.id).where(
        OfficerBinding.user_id == user.id, OfficerBinding.role == BindingRole.SUPERVISOR
    )
    if user.role != Role.ADMIN and await session.scalar(supervisor.limit(1)) is None:
        return []
    condition = Case.status == S.RETURNED
    if user.role != Role.ADMIN:
        condition = condition & Case.unit_id.in_(await responsibility.covered_unit_ids(session, user.id))
    district = (
        select(OfficerBinding.id)
        .join(GridUnit, GridUnit.id == OfficerBinding.unit_id)
        .where(
            OfficerBinding.user_id == user.id,
            OfficerBinding.role == BindingRole.SUPERVISOR,
            GridUnit.level == UnitLevel.DISTRICT,
        )
    )
    if user.role == Role.ADMIN or await session.scalar(district.limit(1)) is not None:
        condition = condition | (Case.status == S.UNROUTED)
    return list(await session.scalars(select(Case).where(condition).order_by(Case.reported_at, Case.id)))


async def case_for_staff(session: AsyncSession, case_id: int, user: User) -> tuple[Case, list[HistoryEntry]]:
    """A case and its history for an officer or supervisor who answers for it."""
    case = await get_case(session, case_id)
    if case.owner_id != user.id:
        await require_handler(session, user, case)
    events = list(await session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id)))
    actors = {e.actor_id for e in events if e.actor_id is not None and e.actor_id != case.reporter_id}
    names: dict[int, str] = {}
    # Only colleagues are named: a citizen (a follower who once answered the check) stays anonymous to staff.
    for actor in await session.scalars(select(User).where(User.id.in_(actors), User.role != Role.CITIZEN)):
        names[actor.id] = await display_name(session, actor, case.unit_id)
    history = [
        HistoryEntry(
            e.at,
            e.action,
            e.from_status,
            e.to_status,
            names.get(e.actor_id or 0),
            e.actor_id is not None and e.actor_id == case.reporter_id,
            e.note,
        )
        for e in events
    ]
    return case, history


async def unit_name(session: AsyncSession, unit_id: str | None) -> str:
    """A unit's name for display ("—" when none)."""
    unit = await session.get(GridUnit, unit_id) if unit_id else None
    return unit.name if unit is not None else "—"


@dataclass(frozen=True)
class OpenCasePoint:
    """An open case's number, status, category and position (a map pin)."""

    id: int
    status: str
    category: str
    lat: float
    lon: float


async def open_case_points(services: Services) -> list[OpenCasePoint]:
    """Every open case with its position, by number."""
    query = select(Case.id, Case.status, Case.category, Case.lat, Case.lon).where(Case.status.in_(OPEN_STATUSES))
    async with UnitOfWork(services.db) as uow:
        rows = (await uow.session.execute(query.order_by(Case.id))).all()
    return [OpenCasePoint(r.id, str(r.status), r.category, r.lat, r.lon) for r in rows]
