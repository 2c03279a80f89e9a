"""The reporter's check on both backends: Fixed closes, Not fixed is rework for the same officer, silence closes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from models.status import CaseStatus
from models.uow import UnitOfWork
from models.users import User
from services import cases
from services.clock import ManualClock
from services.context import Services
from tests.integration.test_cases_dispatch import (
    World,
    act,
    build_world,
    buttons,
    is_text,
    load,
    new_case,
    outbox,
    shown,
    tg,
)
from tests.integration.test_cases_officer import AFTER, events, refused


async def resolved_case(world: World) -> int:
    case_id = await new_case(world)
    await act(world, cases.accept, case_id, world.officer_a)
    await act(world, cases.resolve, case_id, world.officer_a, AFTER, "done")
    return case_id


async def test_fixed_closes_on_time_and_tells_the_officer_and_other_followers(services: Services) -> None:
    world = await build_world(services)
    case_id = await resolved_case(world)
    reporter_chat = await tg(world, world.reporter)
    reporter_rows = len(await outbox(world, address=reporter_chat))
    await act(world, cases.confirm, case_id, world.reporter, True)
    case = await load(world, case_id)
    assert case.status == CaseStatus.CLOSED and case.satisfied is True and case.closed_on_time is True
    assert case.next_check_at is None
    officer = await outbox(world, address=await tg(world, world.officer_a), kind="case_officer")
    assert await shown(world, officer[-1]) == f"上报人确认案件 #{case_id} 已解决，案件已结案。"
    follower = await outbox(world, address=await tg(world, world.follower), kind="case_status")
    assert await shown(world, follower[-1]) == f"Report #{case_id} is closed. Thank you for helping your city!"
    # The reporter pressed the button: they get the handler's answer, not a second notice.
    assert len(await outbox(world, address=reporter_chat)) == reporter_rows


async def test_work_done_after_the_deadline_closes_late(services: Services, clock: ManualClock) -> None:
    world = await build_world(services)
    case_id = await new_case(world)
    await act(world, cases.accept, case_id, world.officer_a)
    clock.advance(timedelta(days=3))
    await act(world, cases.resolve, case_id, world.officer_a, AFTER, None)
    await act(world, cases.confirm, case_id, world.reporter, True)
    assert (await load(world, case_id)).closed_on_time is False


async def test_not_fixed_is_rework_for_the_same_officer_with_a_new_deadline(
    services: Services, clock: ManualClock
) -> None:
    world = await build_world(services)
    case_id = await resolved_case(world)
    first_due = (await load(world, case_id)).due_at
    clock.advance(timedelta(hours=1))
    await act(world, cases.confirm, case_id, world.reporter, False)
    case = await load(world, case_id)
    assert case.status == CaseStatus.REWORK and case.owner_id == world.officer_a
    assert case.rework_count == 1 and case.satisfied is False
    assert case.due_at is not None and first_due is not None and case.due_at > first_due
    assert [e.action for e in await events(world, case_id)][-3:] == ["accept", "resolve", "rework"]
    card = (await outbox(world, address=await tg(world, world.officer_a), kind="assignment_card"))[-1]
    assert (await shown(world, card)).startswith(f"案件 #{case_id} 需要返工")
    assert buttons(card) == [f"case:resolve:{case_id}", f"case:return:{case_id}"]
    # The colleague is not bothered with the rework: only their original card exists.
    assert len(await outbox(world, address=await tg(world, world.officer_b), kind="assignment_card")) == 1
    # The same officer can resolve it again, and the reporter closes it this time.
    await act(world, cases.resolve, case_id, world.officer_a, AFTER, "second try")
    await act(world, cases.confirm, case_id, world.reporter, True)
    assert (await load(world, case_id)).status == CaseStatus.CLOSED


@pytest.mark.parametrize("who", ["follower", "citizen", "officer_a"])
async def test_only_the_first_reporter_may_answer(services: Services, who: str) -> None:
    world = await build_world(services)
    case_id = await resolved_case(world)
    answer = await refused(world, cases.confirm, case_id, getattr(world, who), False)
    assert answer == f"Only the person who first reported case #{case_id} can check the fix."
    assert (await load(world, case_id)).status == CaseStatus.RESOLVED


async def test_a_second_answer_is_refused(services: Services) -> None:
    world = await build_world(services)
    case_id = await resolved_case(world)
    await act(world, cases.confirm, case_id, world.reporter, True)
    answer = await refused(world, cases.confirm, case_id, world.reporter, False)
    assert answer == f"Case #{case_id} is no longer waiting for your check."


async def test_no_answer_closes_the_case_once(services: Services, clock: ManualClock) -> None:
    world = await build_world(services)
    case_id = await resolved_case(world)
    from models.uow import UnitOfWork

    async with UnitOfWork(services.db) as uow:
        case = await cases.lock_case(uow.session, case_id)
        assert await cases.close_unconfirmed(services, uow.session, case) is True
        assert await cases.close_unconfirmed(services, uow.session, case) is False
        await uow.commit()
    case = await load(world, case_id)
    assert case.status == CaseStatus.CLOSED and case.satisfied is None and case.closed_on_time is True
    texts = [await shown(world, r) for r in await outbox(world, kind="case_status") if is_text(r)]
    assert texts.count(f"您的上报 #{case_id} 已结案：处置完成后 72 小时内未收到您的答复。") == 1


async def test_a_banned_reporters_answer_is_not_accepted(services: Services) -> None:
    world = await build_world(services)
    case_id = await resolved_case(world)
    async with UnitOfWork(services.db) as uow:
        await uow.session.execute(update(User).where(User.id == world.reporter).values(banned=True))
        await uow.commit()
    for fixed in (True, False):
        answer = await refused(world, cases.confirm, case_id, world.reporter, fixed)
        assert answer == "Your account may not send reports, so nothing you send is accepted."
    assert (await load(world, case_id)).status == CaseStatus.RESOLVED
