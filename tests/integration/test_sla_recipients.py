"""The sweep's batch directory answers exactly as the responsibility service does, gaps and bans included."""

from __future__ import annotations

from sqlalchemy import delete

from models.cases import Case
from models.grid import BindingRole, OfficerBinding
from models.uow import UnitOfWork
from services import responsibility
from services.clock import ManualClock
from services.context import Services
from services.sla import sweep
from services.sla_recipients import Directory, chain_of
from services.users import user_by_identity
from tests.integration.sla_world import beijing, build_world, dispatch_case, sla_messages
from tests.world import City


async def test_directory_matches_the_responsibility_service(services: Services) -> None:
    world = await build_world(services)
    case_id = await dispatch_case(services, world, "0102", beijing(2026, 11, 16, 10))
    async with UnitOfWork(services.db) as uow:
        s = uow.session
        # Nobody supervises the community any more; one officer is banned; a second district supervisor joins.
        await s.execute(delete(OfficerBinding).where(OfficerBinding.unit_id == "C1"))
        officer = await user_by_identity(s, "telegram", 101)
        assert officer is not None
        officer.banned = True
        await City(s, services.clock.now()).staff(402, "Extra", "D1", BindingRole.SUPERVISOR, language="en")
        await uow.commit()
    async with UnitOfWork(services.db) as uow:
        s = uow.session
        case = await s.get(Case, case_id)
        assert case is not None
        directory = await Directory.load(s, [case])
        chain = chain_of(case)
        people = world.user_ids
        expected_officers = [u.id for u in await responsibility.officers_of(s, "G1")]
        assert [r.id for r in directory.handlers_of(case)] == expected_officers == [people[102]]
        for level in range(0, 6):
            expected = [u.id for u in await responsibility.escalation_targets(s, chain, level)]
            assert [r.id for r in directory.escalation_targets(case, level)] == expected, level
        assert [r.id for r in directory.escalation_targets(case, 1)] == [people[301]]  # the community's gap


async def test_escalation_over_an_empty_level_reaches_the_next_one_up(services: Services, clock: ManualClock) -> None:
    world = await build_world(services)
    await dispatch_case(services, world, "0505", beijing(2026, 11, 16, 10))
    async with UnitOfWork(services.db) as uow:
        await uow.session.execute(delete(OfficerBinding).where(OfficerBinding.unit_id == "C1"))
        await uow.commit()
    clock.set(beijing(2026, 11, 16, 12))
    result = await sweep(services)
    assert sorted((int(n.address), n.kind) for n in result.notices) == [
        (101, "overdue"),
        (102, "overdue"),
        (301, "escalation"),
        (900, "escalated"),
    ]
    texts = [text for chat, _kind, text in await sla_messages(services) if chat == 301]
    assert texts[0].startswith("🔔 督办（第1级）：")
