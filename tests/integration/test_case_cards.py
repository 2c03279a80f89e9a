"""Cards show the case as it is now, on both backends: each change edits the earlier cards it makes wrong.

An officer's card loses Resolve / Return when the case is resolved and says it is closed once it is; a supervisor's
placing card loses its choices once the case is placed (and a stale "Assign to" is refused); a follower's "Is it
fixed?" question loses its choices when the case closes without them.
"""

from __future__ import annotations

from models.outbox import OutboxMessage
from models.uow import UnitOfWork
from services import case_cards, cases
from services.cases.supervisor import place
from services.context import Services
from tests.integration.test_cases_dispatch import World, act, build_world, buttons, load, new_case, outbox, shown, tg
from tests.integration.test_cases_officer import AFTER, refused


async def card_now(world: World, user_id: int, kind: str = "assignment_card") -> tuple[str, list[str]]:
    """How ``user_id``'s newest card of ``kind`` reads now (its last edit, if any) and the choices it offers."""
    address = await tg(world, user_id)
    card = [row for row in await outbox(world, address=address, kind=kind, ref_id=None) if buttons(row)][-1]
    edits = await outbox(world, address=address, kind="assignment_edit", ref_id=card.id)
    latest: OutboxMessage = edits[-1] if edits else card
    return await shown(world, latest), buttons(latest)


async def test_the_officers_card_follows_the_case_to_closed(services: Services) -> None:
    world = await build_world(services)
    case_id = await new_case(world)
    await act(world, cases.accept, case_id, world.officer_b)
    text, choices = await card_now(world, world.officer_b)
    assert text.startswith("Status now: being handled\n") and choices == [
        f"case:resolve:{case_id}",
        f"case:return:{case_id}",
    ]
    await act(world, cases.resolve, case_id, world.officer_b, AFTER, "done")
    text, choices = await card_now(world, world.officer_b)
    assert text.startswith("Status now: resolved, waiting for the check\n") and choices == []
    await act(world, cases.confirm, case_id, world.reporter, True)
    text, choices = await card_now(world, world.officer_b)
    assert text.splitlines()[0] == "This case is closed (结案)." and choices == []
    assert f"Case #{case_id}: " in text  # the case's own lines stay
    # The colleague's card said who took it, and keeps saying so.
    text, choices = await card_now(world, world.officer_a)
    assert text == f"案件 #{case_id} 已由Officer Brown接单。" and choices == []
    # A stale press is refused with the case's status.
    answer = await refused(world, cases.start_resolve, case_id, world.officer_b)
    assert answer == f"Case #{case_id} is closed and cannot be changed now."


async def test_a_rework_card_supersedes_the_first_and_is_not_edited_itself(services: Services) -> None:
    world = await build_world(services)
    case_id = await new_case(world)
    await act(world, cases.accept, case_id, world.officer_b)
    await act(world, cases.resolve, case_id, world.officer_b, AFTER, "done")
    await act(world, cases.confirm, case_id, world.reporter, False)
    address = await tg(world, world.officer_b)
    first, rework = await outbox(world, address=address, kind="assignment_card")
    [*_, first_now] = await outbox(world, address=address, kind="assignment_edit", ref_id=first.id)
    assert buttons(first_now) == [] and (await shown(world, first_now)).startswith("Status now: rework\n")
    assert await outbox(world, kind="assignment_edit", ref_id=rework.id) == []
    assert buttons(rework) == [f"case:resolve:{case_id}", f"case:return:{case_id}"]


async def test_suspend_takes_the_choices_away_and_resume_gives_them_back(services: Services) -> None:
    world = await build_world(services)
    case_id = await new_case(world)
    await act(world, cases.suspend, case_id, world.community, "waiting for the owner")
    text, choices = await card_now(world, world.officer_b)
    assert text.startswith("Status now: suspended\n") and choices == []
    await act(world, cases.resume, case_id, world.community)
    text, choices = await card_now(world, world.officer_b)
    assert text.startswith("Status now: dispatched\n") and len(choices) == 3


async def test_a_placing_card_is_spent_once_the_case_is_placed(services: Services) -> None:
    world = await build_world(services)
    case_id = await new_case(world)
    await act(world, cases.return_case, case_id, world.officer_a, "belongs to the next grid")
    text, choices = await card_now(world, world.community, "case_supervisor")
    assert f"case:assign:{case_id}:G2" in choices and f"case:sendback:{case_id}" in choices
    await act(world, place, case_id, world.community, "G2")
    text, choices = await card_now(world, world.community, "case_supervisor")
    assert text.startswith("Status now: dispatched\n") and choices == []
    # The same card pressed again (or a colleague's copy) does not move the case a second time.
    answer = await refused(world, place, case_id, world.community, "G1")
    assert answer == f"Case #{case_id} was already placed: it is dispatched now. /assign can still move it."
    assert (await load(world, case_id)).unit_id == "G2"


async def test_an_unanswered_question_loses_its_choices_when_the_case_closes(services: Services) -> None:
    world = await build_world(services)
    case_id = await new_case(world)
    await act(world, cases.accept, case_id, world.officer_a)
    await act(world, cases.resolve, case_id, world.officer_a, AFTER, "done")
    text, choices = await card_now(world, world.reporter, "case_status")
    assert choices == [f"case:fixed:{case_id}", f"case:notfixed:{case_id}"]
    # Only the reporter is asked: a follower has no question to refresh.
    follower = await outbox(world, address=await tg(world, world.follower), kind="case_status")
    assert [row for row in follower if buttons(row)] == []
    await act(world, cases.close_on_behalf, case_id, world.community, "checked on my round")  # no answer came
    text, choices = await card_now(world, world.reporter, "case_status")
    assert text == f"上报 #{case_id} 当前状态：已结案" and choices == []  # the reporter reads Chinese


async def test_an_answered_question_is_not_edited_over(services: Services) -> None:
    world = await build_world(services)
    case_id = await new_case(world)
    await act(world, cases.accept, case_id, world.officer_a)
    await act(world, cases.resolve, case_id, world.officer_a, AFTER, "done")
    await act(world, cases.confirm, case_id, world.reporter, True)
    # The reporter's own question was answered in place by the button: no edit queued over it.
    reporter_question = [r for r in await outbox(world, address=await tg(world, world.reporter)) if buttons(r)][-1]
    assert await outbox(world, kind="assignment_edit", ref_id=reporter_question.id) == []


async def test_refreshing_again_queues_nothing(services: Services) -> None:
    world = await build_world(services)
    case_id = await new_case(world)
    await act(world, cases.accept, case_id, world.officer_b)
    await act(world, cases.close_on_behalf, case_id, world.community, "done by the street team")
    before = len(await outbox(world))
    async with UnitOfWork(services.db) as uow:
        case = await cases.lock_case(uow.session, case_id)
        assert await case_cards.refresh_cards(services, uow.session, case) == 0
        await uow.commit()
    assert len(await outbox(world)) == before
