"""Supervisor tools on both backends: reassign, send back, reject, extend, suspend/resume, close, queues."""

from __future__ import annotations

from datetime import timedelta

import pytest

from models.cases import RoutedBy
from models.grid import GridUnit, UnitLevel
from models.status import CaseStatus
from models.uow import UnitOfWork
from models.users import User
from services import cases
from services.clock import ManualClock
from services.context import Services
from services.i18n import Translator
from tests.integration.test_cases_dispatch import (
    World,
    act,
    build_world,
    buttons,
    load,
    new_case,
    outbox,
    shown,
    tg,
)
from tests.integration.test_cases_officer import events, refused


async def returned_case(world: World) -> int:
    case_id = await new_case(world)
    await act(world, cases.return_case, case_id, world.officer_a, "belongs to the next grid")
    return case_id


async def test_reassign_after_a_return_reaches_the_new_units_officer(services: Services) -> None:
    world = await build_world(services)
    case_id = await returned_case(world)
    await act(world, cases.reassign, case_id, world.community, "G2")
    case = await load(world, case_id)
    assert case.status == CaseStatus.DISPATCHED and case.unit_id == "G2" and case.chain == "G2>C1>S1>D1"
    assert case.routed_by == RoutedBy.MANUAL and case.owner_id is None
    cards = await outbox(world, address=await tg(world, world.officer_c), kind="assignment_card")
    assert len(cards) == 1 and f"case:accept:{case_id}" in buttons(cards[0])
    told = [
        await shown(world, r) for r in await outbox(world, address=await tg(world, world.follower), kind="case_status")
    ]
    assert told[-1] == f"Your report #{case_id} was passed to Unit G2."
    await act(world, cases.accept, case_id, world.officer_c)
    assert (await load(world, case_id)).owner_id == world.officer_c


async def test_reassigning_to_a_unit_that_does_not_exist_is_refused(services: Services) -> None:
    world = await build_world(services)
    case_id = await returned_case(world)
    answer = await refused(world, cases.reassign, case_id, world.community, "G99")
    assert answer == "There is no unit G99."
    assert (await load(world, case_id)).status == CaseStatus.RETURNED


async def test_a_supervisor_dispatches_only_to_units_they_cover(services: Services) -> None:
    world = await build_world(services)
    case_id = await returned_case(world)
    # G3 lies under community C2: the C1 supervisor does not cover it, the district supervisor does.
    answer = await refused(world, cases.reassign, case_id, world.community, "G3")
    assert answer == "Unit G3 is outside the area you supervise: you can dispatch only to units you cover."
    assert (await load(world, case_id)).status == CaseStatus.RETURNED
    await act(world, cases.reassign, case_id, world.district, "G3")
    case = await load(world, case_id)
    assert case.status == CaseStatus.DISPATCHED and case.unit_id == "G3"


async def test_a_dispatcher_places_an_unrouted_case_only_inside_their_district(services: Services) -> None:
    world = await build_world(services)
    case_id = await new_case(world, unit=None)
    async with UnitOfWork(services.db) as uow:
        other = GridUnit(id="D2", name="Unit D2", level=UnitLevel.DISTRICT, updated_at=services.clock.now())
        uow.session.add(other)
        await uow.session.flush()
        uow.session.add(
            GridUnit(id="G9", name="Unit G9", level=UnitLevel.GRID, parent_id="D2", updated_at=services.clock.now())
        )
        await uow.commit()
    answer = await refused(world, cases.reassign, case_id, world.district, "G9")
    assert answer == "Unit G9 is outside the area you supervise: you can dispatch only to units you cover."
    await act(world, cases.reassign, case_id, world.admin, "G9")  # an admin covers the whole city
    assert (await load(world, case_id)).unit_id == "G9"


@pytest.mark.parametrize("who", ["officer_a", "officer_c", "citizen"])
async def test_only_supervisors_above_the_unit_use_supervisor_tools(services: Services, who: str) -> None:
    world = await build_world(services)
    case_id = await returned_case(world)
    user = getattr(world, who)
    for action, args in ((cases.reassign, ("G2",)), (cases.send_back, ()), (cases.reject, ("spam",))):
        answer = await refused(world, action, case_id, user, *args)
        assert answer == f"You are not responsible for case #{case_id}."


async def test_a_community_supervisor_elsewhere_cannot_touch_the_case(services: Services) -> None:
    world = await build_world(services)
    case_id = await new_case(world, unit="G3")  # under C2, not the C1 supervisor's community
    answer = await refused(world, cases.extend_deadline, case_id, world.community, "4h")
    assert answer == f"You are not responsible for case #{case_id}."


async def test_send_back_dispatches_to_the_same_unit_again(services: Services) -> None:
    world = await build_world(services)
    case_id = await returned_case(world)
    await act(world, cases.send_back, case_id, world.district)
    case = await load(world, case_id)
    assert case.status == CaseStatus.DISPATCHED and case.unit_id == "G1"
    card = (await outbox(world, address=await tg(world, world.officer_b), kind="assignment_card"))[-1]
    assert (await shown(world, card)).startswith(f"Case #{case_id} was sent back to your unit by the supervisor.")


async def test_reject_needs_a_reason_and_tells_the_reporter(services: Services) -> None:
    world = await build_world(services)
    case_id = await returned_case(world)
    answer = await refused(world, cases.reject, case_id, world.community, "")
    assert answer == "Please give a reason: rejecting a case needs a written reason."
    await act(world, cases.reject, case_id, world.community, "private property, not public space")
    case = await load(world, case_id)
    assert case.status == CaseStatus.REJECTED and case.closed_at is not None
    text = await shown(world, (await outbox(world, address=await tg(world, world.reporter), kind="case_status"))[-1])
    assert text == f"您的上报 #{case_id} 未予立案：private property, not public space"


async def test_extend_moves_the_deadline_on_the_cases_clock(services: Services) -> None:
    world = await build_world(services)
    case_id = await new_case(world)
    before = (await load(world, case_id)).due_at
    assert before is not None
    due = await act(world, cases.extend_deadline, case_id, world.community, "4h")
    case = await load(world, case_id)
    # Tuesday 10:00 + 4 working hours = Tuesday 16:00 (lunch 12–14 does not count).
    assert due == case.due_at == before + timedelta(hours=6)
    assert case.extension_count == 1
    assert [e.action for e in await events(world, case_id)][-1] == "extend"
    texts = [await shown(world, r) for r in await outbox(world, kind="case_officer")]
    assert f"The deadline of case #{case_id} was extended (延期) to 2026-11-17 16:00." in texts


async def test_extend_with_an_unreadable_time_is_refused(services: Services) -> None:
    world = await build_world(services)
    case_id = await new_case(world)
    answer = await refused(world, cases.extend_deadline, case_id, world.community, "soon")
    assert answer == "I don't understand the time soon. Use for example 4h or 1d."


async def test_suspend_pauses_the_clock_and_resume_pushes_the_deadline(services: Services, clock: ManualClock) -> None:
    world = await build_world(services)
    case_id = await new_case(world)
    await act(world, cases.accept, case_id, world.officer_a)
    before = (await load(world, case_id)).due_at
    assert before is not None
    answer = await refused(world, cases.suspend, case_id, world.community, " ")
    assert answer == "Please give a reason: suspending a case (挂账) needs a written reason."
    await act(world, cases.suspend, case_id, world.community, "waiting for the owner of the wall")
    case = await load(world, case_id)
    assert case.status == CaseStatus.SUSPENDED and case.next_check_at is None
    clock.advance(timedelta(hours=2))  # Monday 10:00 → 12:00: two working hours on hold
    await act(world, cases.resume, case_id, world.community)
    case = await load(world, case_id)
    assert case.status == CaseStatus.ACCEPTED and case.owner_id == world.officer_a
    assert case.due_at == before + timedelta(hours=2)
    follower = [await shown(world, r) for r in await outbox(world, address=await tg(world, world.follower))]
    assert f"Report #{case_id} is on hold (挂账): waiting for the owner of the wall" in follower
    assert f"Work on report #{case_id} has resumed." in follower


async def test_close_on_behalf_needs_a_note(services: Services) -> None:
    world = await build_world(services)
    case_id = await new_case(world)
    await act(world, cases.accept, case_id, world.officer_a)
    answer = await refused(world, cases.close_on_behalf, case_id, world.district, "")
    assert answer == "Please give a reason: closing a case for someone needs a written reason."
    await act(world, cases.close_on_behalf, case_id, world.district, "fixed by the street team")
    case = await load(world, case_id)
    assert case.status == CaseStatus.CLOSED and case.closed_on_time is True
    officer = [
        await shown(world, r)
        for r in await outbox(world, address=await tg(world, world.officer_a), kind="case_officer")
    ]
    assert f"案件 #{case_id} 已由值班长结案：fixed by the street team" in officer


async def test_queues_show_what_each_supervisor_must_decide(services: Services) -> None:
    world = await build_world(services)
    returned = await returned_case(world)
    unrouted = await new_case(world, unit=None)
    elsewhere = await new_case(world, unit="G3")
    await act(world, cases.return_case, elsewhere, world.district, "wrong district")
    await new_case(world)  # dispatched: nobody's queue

    async def queue(user_id: int) -> list[int]:
        async with UnitOfWork(services.db) as uow:
            user = await uow.session.get(User, user_id)
            assert user is not None
            return [c.id for c in await cases.queue_for(uow.session, user)]

    assert await queue(world.community) == [returned]
    assert await queue(world.district) == [returned, unrouted, elsewhere]
    assert await queue(world.admin) == [returned, unrouted, elsewhere]
    assert await queue(world.officer_a) == []


async def test_tasks_list_the_officers_open_cases_by_deadline(services: Services, clock: ManualClock) -> None:
    world = await build_world(services)
    mine = await new_case(world)
    await act(world, cases.accept, mine, world.officer_a)
    clock.advance(timedelta(hours=1))
    waiting = await new_case(world)
    other = await new_case(world)
    await act(world, cases.accept, other, world.officer_b)
    async with UnitOfWork(services.db) as uow:
        user = await uow.session.get(User, world.officer_a)
        assert user is not None
        assert [c.id for c in await cases.tasks_for(uow.session, user)] == [mine, waiting]


async def test_history_for_staff_never_names_the_reporter(services: Services) -> None:
    world = await build_world(services)
    case_id = await new_case(world)
    await act(world, cases.resolve, case_id, world.officer_a, [cases.ProofPhoto("p")], "ok")
    await act(world, cases.confirm, case_id, world.reporter, False)
    async with UnitOfWork(services.db) as uow:
        user = await uow.session.get(User, world.officer_b)
        assert user is not None
        _case, history = await cases.case_for_staff(uow.session, case_id, user)
        citizen = await uow.session.get(User, world.citizen)
        assert citizen is not None
        with pytest.raises(cases.CaseActionError):
            await cases.case_for_staff(uow.session, case_id, citizen)
    rework = history[-1]
    assert rework.action == "rework" and rework.by_reporter and rework.actor is None
    assert [h.actor for h in history if h.action == "resolve"] == ["网格员王"]


async def _move_choices(world: World, case_id: int, user_id: int) -> list[str]:
    async with UnitOfWork(world.services.db) as uow:
        user = await uow.session.get(User, user_id)
        assert user is not None
        _case, choices = await cases.reassign_choices(uow.session, case_id, user)
    return [choice.action for row in choices for choice in row]


async def test_an_escalated_case_can_be_moved_by_its_supervisor_only(services: Services) -> None:
    world = await build_world(services)
    case_id = await new_case(world)
    await act(world, cases.accept, case_id, world.officer_a)

    offered = await _move_choices(world, case_id, world.community)
    assert offered and all(token.startswith(f"case:move:{case_id}:") for token in offered)
    assert f"case:move:{case_id}:G2" in offered and f"case:move:{case_id}:G1" not in offered
    # G3 is nearby but under another community: only the district supervisor, who covers it, is offered it.
    assert f"case:move:{case_id}:G3" not in offered
    assert f"case:move:{case_id}:G3" in await _move_choices(world, case_id, world.district)
    for who in (world.officer_a, world.officer_c, world.citizen):
        with pytest.raises(cases.CaseActionError) as caught:
            await _move_choices(world, case_id, who)
        assert caught.value.render(Translator("en")) == f"You are not responsible for case #{case_id}."
    # A case being handled moves on the supervisor's word (the placing card's assign would refuse it).
    await act(world, cases.reassign, case_id, world.community, "G2")
    moved = await load(world, case_id)
    assert (moved.status, moved.unit_id, moved.owner_id) == (CaseStatus.DISPATCHED, "G2", None)
