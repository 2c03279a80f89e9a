"""An officer who reports in their own grid and fixes it cannot confirm the fix, on both backends.

Instead the supervisors above are told and may close the case (/close); otherwise the confirmation timeout closes it.
"""

from __future__ import annotations

from sqlalchemy import update

from models.cases import Case
from models.status import CaseStatus
from models.uow import UnitOfWork
from services import cases
from services.context import Services
from tests.integration.test_cases_dispatch import World, act, build_world, is_text, load, new_case, outbox, shown, tg
from tests.integration.test_cases_officer import AFTER, refused


async def own_case(world: World) -> int:
    """A case officer A reported in their own grid G1, accepted and resolved."""
    case_id = await new_case(world)
    async with UnitOfWork(world.services.db) as uow:
        await uow.session.execute(update(Case).where(Case.id == case_id).values(reporter_id=world.officer_a))
        await uow.commit()
    await act(world, cases.accept, case_id, world.officer_a)
    await act(world, cases.resolve, case_id, world.officer_a, AFTER, "done")
    return case_id


async def test_the_officer_who_reported_cannot_confirm_their_own_fix(services: Services) -> None:
    world = await build_world(services)
    case_id = await own_case(world)
    for fixed in (True, False):
        answer = await refused(world, cases.confirm, case_id, world.officer_a, fixed)
        assert answer == (
            f"You handled case #{case_id} yourself, so you cannot confirm your own fix. Its supervisor checks it; "
            "otherwise it closes on its own after 72 hours."
        )
    assert (await load(world, case_id)).status == CaseStatus.RESOLVED


async def test_the_supervisor_is_told_and_closes_it(services: Services) -> None:
    world = await build_world(services)
    case_id = await own_case(world)
    officer_rows = await outbox(world, address=await tg(world, world.officer_a), case_id=case_id)
    assert not any("case:fixed" in str(row.payload) for row in officer_rows)  # no question to themselves
    boss = [await shown(world, r) for r in await outbox(world, address=await tg(world, world.community)) if is_text(r)]
    assert any(
        text.startswith(f"Case #{case_id} was resolved by the officer who reported it, so no reporter confirms it.")
        for text in boss
    )
    await act(world, cases.close_on_behalf, case_id, world.community, "checked on my round: clean")
    case = await load(world, case_id)
    assert case.status == CaseStatus.CLOSED and case.satisfied is None


async def test_without_the_supervisor_the_timeout_closes_it(services: Services) -> None:
    world = await build_world(services)
    case_id = await own_case(world)
    async with UnitOfWork(services.db) as uow:
        case = await cases.lock_case(uow.session, case_id)
        assert await cases.close_unconfirmed(services, uow.session, case) is True
        await uow.commit()
    assert (await load(world, case_id)).status == CaseStatus.CLOSED


async def test_an_officer_reporting_outside_their_grid_still_confirms(services: Services) -> None:
    world = await build_world(services)
    case_id = await new_case(world)
    async with UnitOfWork(services.db) as uow:
        await uow.session.execute(update(Case).where(Case.id == case_id).values(reporter_id=world.officer_c))
        await uow.commit()
    await act(world, cases.resolve, case_id, world.officer_a, AFTER, "done")
    await act(world, cases.confirm, case_id, world.officer_c, True)
    assert (await load(world, case_id)).status == CaseStatus.CLOSED
