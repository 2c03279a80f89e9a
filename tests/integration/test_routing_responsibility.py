"""Responsibility as data: officers, supervisors, escalation with gaps, and what a supervisor covers."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from models.grid import BindingRole
from models.uow import UnitOfWork
from models.users import User
from services.context import Services
from services.responsibility import (
    covered_unit_ids,
    escalation_targets,
    is_responsible,
    officers_of,
    supervisors_at,
)
from tests.integration.test_routing_service import build_hierarchy
from tests.world import City

CHAIN = ("G31", "C10", "S2", "D1")


async def person(session: AsyncSession, services: Services, telegram_id: int, *bindings: tuple[str, str]) -> User:
    """A user bound to ``(unit, role)`` pairs."""
    city = City(session, services.clock.now())
    user = await city.person(telegram_id, f"u{telegram_id}")
    for unit_id, role in bindings:
        await city.bind(user, unit_id, BindingRole(role))
    return user


def ids(users: list[User]) -> list[int]:
    """The people's Telegram ids (where ``tg_user`` reaches them)."""
    return [int(u.contact_address or 0) for u in users]


async def test_officers_and_supervisors_are_bound_to_exactly_their_unit(services: Services) -> None:
    await build_hierarchy(services)
    async with UnitOfWork(services.db) as uow:
        s = uow.session
        await person(s, services, 1, ("G31", "officer"))
        await person(s, services, 2, ("G31", "officer"), ("C10", "supervisor"))
        await person(s, services, 3, ("S2", "supervisor"))
        banned = await person(s, services, 4, ("G31", "officer"))
        banned.banned = True
        assert ids(await officers_of(s, "G31")) == [1, 2]
        assert ids(await supervisors_at(s, "G31")) == []
        assert ids(await supervisors_at(s, "C10")) == [2]
        assert ids(await officers_of(s, "C10")) == []


async def test_escalation_skips_levels_nobody_supervises(services: Services) -> None:
    await build_hierarchy(services)
    async with UnitOfWork(services.db) as uow:
        s = uow.session
        # Nobody at the community; a street supervisor; two at the district.
        await person(s, services, 10, ("S2", "supervisor"))
        await person(s, services, 20, ("D1", "supervisor"))
        await person(s, services, 21, ("D1", "supervisor"))
        await person(s, services, 30, ("C10", "officer"))  # an officer is not escalated to
        assert ids(await escalation_targets(s, CHAIN, 1)) == [10]
        assert ids(await escalation_targets(s, CHAIN, 2)) == [10]
        assert ids(await escalation_targets(s, CHAIN, 3)) == [20, 21]
        assert ids(await escalation_targets(s, CHAIN, 7)) == [20, 21]
        # A department's short chain still reaches its own supervisor.
        assert ids(await escalation_targets(s, ("D1",), 2)) == [20, 21]
        assert await escalation_targets(s, ("G31", "C10"), 1) == []
        assert await escalation_targets(s, (), 1) == []


async def test_street_supervisor_covers_every_unit_below_the_street(services: Services) -> None:
    await build_hierarchy(services)
    async with UnitOfWork(services.db) as uow:
        s = uow.session
        chief = await person(s, services, 40, ("S2", "supervisor"), ("G00", "officer"))
        covered = await covered_unit_ids(s, chief.id)
        east_grids = {f"G{c}{r}" for c in (2, 3) for r in range(4)}
        assert covered == {"S2", "C10", "C11", "G00"} | east_grids
        assert await is_responsible(s, chief.id, "G23")
        assert await is_responsible(s, chief.id, "G00")
        assert not await is_responsible(s, chief.id, "G01")  # west half, not his street
        assert not await is_responsible(s, chief.id, "D1")  # the level above is not his
        assert not await is_responsible(s, chief.id, "NOPE")


async def test_officer_covers_only_their_grid(services: Services) -> None:
    await build_hierarchy(services)
    async with UnitOfWork(services.db) as uow:
        s = uow.session
        officer = await person(s, services, 50, ("G11", "officer"))
        assert await covered_unit_ids(s, officer.id) == {"G11"}
        assert await is_responsible(s, officer.id, "G11")
        assert not await is_responsible(s, officer.id, "G10")
        nobody = await person(s, services, 51)
        assert await covered_unit_ids(s, nobody.id) == set()
