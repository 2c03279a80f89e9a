"""A small city for SLA tests: one grid up to its district, officers, supervisors, and cases on the clock."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select

from models.cases import Case, RoutedBy
from models.grid import BindingRole
from models.outbox import OutboxMessage
from models.status import CaseStatus, transition
from models.uow import UnitOfWork
from models.users import User
from services import deadlines
from services.context import Services
from services.i18n import Translator
from services.messages import from_json, render_lines
from tests import world
from tests.world import BEIJING, CHAIN_UNITS

__all__ = ["BEIJING", "CHAIN", "PEOPLE", "REPORTER", "World", "beijing", "build_world", "change_case", "dispatch_case",
           "get_case", "sla_messages"]  # fmt: skip
CHAIN = ["G1", "C1", "S1", "D1"]
# telegram id: (name, language, unit, role)
PEOPLE = {
    101: ("王伟", "zh", "G1", BindingRole.OFFICER),
    102: ("Anna", "en", "G1", BindingRole.OFFICER),
    201: ("Chen", "en", "C1", BindingRole.SUPERVISOR),
    301: ("李娜", "zh", "S1", BindingRole.SUPERVISOR),
    401: ("Dieter", "en", "D1", BindingRole.SUPERVISOR),
}
REPORTER = 900


def beijing(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    """A Beijing wall-clock time as an aware UTC datetime."""
    return world.beijing(year, month, day, hour, minute).astimezone(UTC)


@dataclass
class World:
    """Database ids of the people (by telegram id)."""

    user_ids: dict[int, int]


async def build_world(services: Services) -> World:
    """Create the units, the people and their bindings."""
    async with world.build(services) as city:
        await city.units(CHAIN_UNITS)
        user_ids = {}
        for telegram_id, (name, language, unit, role) in PEOPLE.items():
            staff = await city.staff(telegram_id, name, unit, role, language=language)
            user_ids[telegram_id] = staff.id
        user_ids[REPORTER] = (await city.person(REPORTER, "Citizen", language="zh")).id
    return World(user_ids)


async def dispatch_case(services: Services, world: World, category: str, at: datetime) -> int:
    """A case reported and dispatched to G1 at ``at``, its clock started; returns its id."""
    async with UnitOfWork(services.db) as uow:
        case = Case(
            reporter_id=world.user_ids[REPORTER],
            category=category,
            status=CaseStatus.SUBMITTED,
            lat=39.93,
            lon=116.41,
            reported_at=at,
            unit_id="G1",
            chain=">".join(CHAIN),
            routed_by=RoutedBy.INSIDE,
            language="zh",
        )
        case.events = []
        uow.session.add(case)
        transition(case, CaseStatus.DISPATCHED, at=at, actor_id=None, action="dispatch")
        deadlines.start_clock(services, case, at)
        await uow.commit()
        return case.id


async def get_case(services: Services, case_id: int) -> Case:
    """A fresh copy of the case."""
    async with UnitOfWork(services.db) as uow:
        case = await uow.session.get(Case, case_id)
        assert case is not None
        return case


async def sla_messages(services: Services) -> list[tuple[int, str, str]]:
    """Every queued SLA message as (chat id, kind, text in the recipient's language), in queue order."""
    async with UnitOfWork(services.db) as uow:
        rows = (
            await uow.session.execute(
                select(OutboxMessage, User)
                .join(User, User.id == OutboxMessage.user_id)
                .where(OutboxMessage.kind.like("sla_%"))
                .order_by(OutboxMessage.id)
            )
        ).all()
        return [
            (
                int(row.address),
                row.kind,
                render_lines(services, from_json(row.payload).lines, Translator(user.locale)),
            )
            for row, user in rows
        ]


async def change_case(services: Services, case_id: int, action: str, **values: object) -> None:
    """What the case service does on accept / suspend / resume / extend / resolve, at the clock's time."""
    now = services.clock.now()
    async with UnitOfWork(services.db) as uow:
        case = await uow.session.get(Case, case_id)
        assert case is not None
        if action == "accept":
            transition(case, CaseStatus.ACCEPTED, at=now, actor_id=None, action="accept")
            case.owner_id = int(values["owner_id"])  # type: ignore[call-overload]
        elif action == "suspend":
            transition(case, CaseStatus.SUSPENDED, at=now, actor_id=None, action="suspend", note="road works")
        elif action == "resume":
            paused_from, back_to = case.suspended_at, case.suspended_from
            assert paused_from is not None and back_to is not None
            transition(case, CaseStatus(back_to), at=now, actor_id=None, action="resume")
            deadlines.resume_clock(services, case, paused_from, now)
        elif action == "extend":
            deadlines.extend(services, case, str(values["amount"]), now)
        elif action == "resolve":
            transition(case, CaseStatus.RESOLVED, at=now, actor_id=None, action="resolve")
        else:
            raise ValueError(action)
        deadlines.plan_next_check(services, case, now)
        await uow.commit()
