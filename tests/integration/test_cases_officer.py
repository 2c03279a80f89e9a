"""Officer actions on both backends: accept (first wins, also under concurrency), resolve with proof, return."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from models.cases import CaseEvent, PhotoKind
from models.status import CaseStatus
from models.uow import UnitOfWork
from models.users import User
from services import cases
from services.cases import CaseActionError, ProofPhoto
from services.context import Services
from services.i18n import Translator
from tests.integration.test_cases_dispatch import (
    World,
    act,
    build_world,
    buttons,
    is_text,
    load,
    message,
    new_case,
    outbox,
    photo_files,
    shown,
    tg,
)

AFTER = [ProofPhoto("after-0", "u-after-0", 800, 600, 1000)]


async def events(world: World, case_id: int) -> list[CaseEvent]:
    async with UnitOfWork(world.services.db) as uow:
        query = select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.id)
        return list(await uow.session.scalars(query))


async def refused(world: World, action: object, case_id: int, user_id: int, *args: object) -> str:
    """Run an action that must be refused; returns the English answer and checks nothing changed."""
    before = [(e.action, e.to_status) for e in await events(world, case_id)]
    rows = len(await outbox(world))
    with pytest.raises(CaseActionError) as caught:
        await act(world, action, case_id, user_id, *args)  # type: ignore[arg-type]
    assert [(e.action, e.to_status) for e in await events(world, case_id)] == before
    assert len(await outbox(world)) == rows
    return caught.value.render(Translator("en"))


async def test_first_accept_wins_and_other_cards_say_who_took_it(services: Services) -> None:
    world = await build_world(services)
    case_id = await new_case(world)
    await act(world, cases.accept, case_id, world.officer_b)
    case = await load(world, case_id)
    assert case.status == CaseStatus.ACCEPTED and case.owner_id == world.officer_b
    a_chat = await tg(world, world.officer_a)
    card = (await outbox(world, address=a_chat, kind="assignment_card"))[0]
    edit = (await outbox(world, address=a_chat, kind="assignment_edit"))[0]
    assert edit.ref_id == card.id and not buttons(edit)  # the card itself is edited, its buttons gone
    assert await shown(world, edit) == f"案件 #{case_id} 已由Officer Brown接单。"
    # The taker's card shows the case as it is now and keeps only what is still theirs to do.
    [own] = await outbox(world, address=await tg(world, world.officer_b), kind="assignment_edit")
    assert buttons(own) == [f"case:resolve:{case_id}", f"case:return:{case_id}"]
    assert (await shown(world, own)).startswith("Status now: being handled\n")
    told = [await shown(world, r) for r in await outbox(world, kind="case_status")]
    assert f"Your report #{case_id} was accepted by a grid officer and is being handled." in told
    assert f"您的上报 #{case_id} 已由网格员接单，正在处置。" in told


async def test_pressing_accept_twice_is_refused(services: Services) -> None:
    world = await build_world(services)
    case_id = await new_case(world)
    await act(world, cases.accept, case_id, world.officer_a)
    answer = await refused(world, cases.accept, case_id, world.officer_a)
    assert answer == f"You have already accepted case #{case_id}."


async def test_a_colleague_pressing_accept_later_is_told_who_has_it(services: Services) -> None:
    world = await build_world(services)
    case_id = await new_case(world)
    await act(world, cases.accept, case_id, world.officer_a)
    answer = await refused(world, cases.accept, case_id, world.officer_b)
    assert answer == f"Case #{case_id} was already taken by 网格员王."


@pytest.mark.parametrize("who", ["citizen", "reporter", "officer_c"])
async def test_people_outside_the_unit_cannot_act_on_its_case(services: Services, who: str) -> None:
    world = await build_world(services)
    case_id = await new_case(world)
    for action in (cases.accept, cases.start_resolve, cases.start_return):
        answer = await refused(world, action, case_id, getattr(world, who))
        assert answer == f"You are not responsible for case #{case_id}."
    assert (await load(world, case_id)).status == CaseStatus.DISPATCHED


async def test_concurrent_accepts_have_exactly_one_winner(services: Services) -> None:
    world = await build_world(services)
    case_id = await new_case(world)
    results = await asyncio.gather(
        act(world, cases.accept, case_id, world.officer_a),
        act(world, cases.accept, case_id, world.officer_b),
        return_exceptions=True,
    )
    errors = [r for r in results if isinstance(r, Exception)]
    assert len(errors) == 1 and isinstance(errors[0], CaseActionError)
    assert errors[0].message == cases.TAKEN
    case = await load(world, case_id)
    assert case.owner_id in (world.officer_a, world.officer_b)
    assert [e.action for e in await events(world, case_id)].count("accept") == 1
    # Only the loser's card is edited to say who took it; the winner's keeps Resolve / Return.
    edits = await outbox(world, kind="assignment_edit")
    assert sorted(len(buttons(e)) for e in edits) == [0, 2]


async def test_resolving_without_a_photo_is_refused(services: Services) -> None:
    world = await build_world(services)
    case_id = await new_case(world)
    await act(world, cases.accept, case_id, world.officer_a)
    answer = await refused(world, cases.resolve, case_id, world.officer_a, [], "done")
    assert answer == "Please send a photo of the fixed place: the after-photo is required."
    assert (await load(world, case_id)).status == CaseStatus.ACCEPTED


async def test_resolve_stores_proof_and_asks_the_reporter_only(services: Services) -> None:
    world = await build_world(services)
    case_id = await new_case(world)
    await act(world, cases.accept, case_id, world.officer_a)
    await act(world, cases.resolve, case_id, world.officer_a, AFTER, "  posters removed  ")
    case = await load(world, case_id)
    assert case.status == CaseStatus.RESOLVED
    assert [p.file_id for p in case.photos if p.kind == PhotoKind.PROOF] == ["after-0"]
    assert case.next_check_at == case.resolved_at + timedelta(hours=72)  # type: ignore[operator]
    rows = await outbox(world, address=await tg(world, world.reporter), case_id=case_id)
    album, ask = rows[-2], rows[-1]
    assert await photo_files(world, album) == ["before-0", "after-0"]  # one album: before and after
    assert "问题解决了吗" in await shown(world, ask) and "posters removed" in await shown(world, ask)
    choices = [choice.action for choice in message(ask).choices[0]]
    assert choices == [f"case:fixed:{case_id}", f"case:notfixed:{case_id}"]
    # A follower (who reported the same problem later) hears the news: no photos, no note, no question.
    news = (await outbox(world, address=await tg(world, world.follower), case_id=case_id))[-1]
    assert await shown(world, news) == (
        f"Report #{case_id} was handled by the grid officer; the first person who reported it will check."
    )
    assert message(news).photos == () and message(news).choices == ()


async def test_resolve_on_a_dispatched_case_accepts_it_on_the_way(services: Services) -> None:
    world = await build_world(services)
    case_id = await new_case(world)
    await act(world, cases.resolve, case_id, world.officer_b, AFTER, None)
    case = await load(world, case_id)
    assert case.status == CaseStatus.RESOLVED and case.owner_id == world.officer_b
    assert [e.action for e in await events(world, case_id)][-2:] == ["accept", "resolve"]


async def test_only_the_owner_resolves_an_accepted_case(services: Services) -> None:
    world = await build_world(services)
    case_id = await new_case(world)
    await act(world, cases.accept, case_id, world.officer_a)
    answer = await refused(world, cases.resolve, case_id, world.officer_b, AFTER, None)
    assert answer == f"Case #{case_id} was already taken by 网格员王."


async def test_acting_on_a_closed_case_is_refused(services: Services) -> None:
    world = await build_world(services)
    case_id = await new_case(world)
    await act(world, cases.resolve, case_id, world.officer_a, AFTER, None)
    await act(world, cases.confirm, case_id, world.reporter, True)
    for action in (cases.start_resolve, cases.start_return):
        answer = await refused(world, action, case_id, world.officer_a)
        assert answer == f"Case #{case_id} is closed and cannot be changed now."
    answer = await refused(world, cases.accept, case_id, world.officer_b)
    assert answer == f"Case #{case_id} is closed and cannot be changed now."


async def test_a_return_without_a_reason_is_refused(services: Services) -> None:
    world = await build_world(services)
    case_id = await new_case(world)
    answer = await refused(world, cases.return_case, case_id, world.officer_a, "   ")
    assert answer == "Please give a reason: returning a case (回退) needs a written reason."


async def test_return_goes_to_the_parent_units_supervisor_with_choices(services: Services) -> None:
    world = await build_world(services)
    case_id = await new_case(world)
    await act(world, cases.accept, case_id, world.officer_a)
    await act(world, cases.return_case, case_id, world.officer_a, "not our street: it is across the river")
    case = await load(world, case_id)
    assert case.status == CaseStatus.RETURNED and case.return_count == 1
    boss = [r for r in await outbox(world, address=await tg(world, world.community)) if is_text(r)]
    assert len(boss) == 1
    text = await shown(world, boss[0])
    assert f"Case #{case_id} was returned (回退) by 网格员王: not our street" in text
    keyboard = buttons(boss[0])
    assert keyboard[0] == f"case:assign:{case_id}:G2"  # the sibling grid comes first
    assert f"case:sendback:{case_id}" in keyboard and f"case:reject:{case_id}" in keyboard
    assert f"case:assign:{case_id}:G1" not in keyboard
    # G3 is nearby but under another community: the C1 supervisor is offered only units they cover.
    assert f"case:assign:{case_id}:G3" not in keyboard
    # Both officers' cards lose their buttons.
    edits = await outbox(world, kind="assignment_edit")
    assert {e.address for e in edits} == {await tg(world, world.officer_a), await tg(world, world.officer_b)}


async def test_start_resolve_asks_for_the_after_photo(services: Services) -> None:
    world = await build_world(services)
    case_id = await new_case(world)
    await act(world, cases.start_resolve, case_id, world.officer_a)
    async with UnitOfWork(services.db) as uow:
        user = await uow.session.get(User, world.officer_a)
        assert user is not None
        pending = await cases.pending_input(uow.session, user)
        assert pending is not None and pending.kind == cases.ASK_RESOLVE_PHOTO and pending.case_id == case_id
        count = await uow.session.scalar(select(func.count()).select_from(CaseEvent))
    assert (await load(world, case_id)).owner_id == world.officer_a
    assert count
