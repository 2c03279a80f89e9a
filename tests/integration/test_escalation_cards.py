"""Escalation notices follow the case, on both backends: their choices (open / extend / reassign) stay while the
escalation stands, and go, but Open for whoever still supervises the case, once it is extended, moved or closed."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from sqlalchemy import select

from models.grid import GridUnit, UnitLevel
from models.outbox import OutboxMessage
from models.uow import UnitOfWork
from models.users import User
from services import cases
from services.clock import ManualClock
from services.context import Services
from services.i18n import Translator
from services.messages import from_json, render_lines
from services.sla import sweep
from tests.integration.sla_world import World, beijing, build_world, dispatch_case

CHEN, LI_NA, ANNA = 201, 301, 102  # the community's supervisor (en), the street's (zh), an officer of the grid


async def act(
    services: Services, world: World, telegram_id: int, action: Callable[..., Awaitable[Any]], case_id: int, *args: Any
) -> Any:
    """Run a case action as the person with ``telegram_id``, in its own committed transaction."""
    async with UnitOfWork(services.db) as uow:
        user = await uow.session.get(User, world.user_ids[telegram_id])
        result = await action(services, uow.session, case_id, user, *args)
        await uow.commit()
        return result


async def escalation_card(services: Services, world: World, telegram_id: int) -> tuple[str, list[str], int]:
    """How the person's escalation notice reads now (its last edit, if any), its choices, and how many edits it had."""
    async with UnitOfWork(services.db) as uow:
        session = uow.session
        user = await session.get(User, world.user_ids[telegram_id])
        assert user is not None
        query = select(OutboxMessage).where(OutboxMessage.user_id == user.id).order_by(OutboxMessage.id)
        notices = list(await session.scalars(query.where(OutboxMessage.kind == "sla_escalation")))
        assert len(notices) == 1, "one escalation notice per person in these tests"
        edits = list(await session.scalars(query.where(OutboxMessage.ref_id == notices[0].id)))
        shown = from_json((edits[-1] if edits else notices[0]).payload)
        return render_lines(services, shown.lines, Translator(user.locale)), shown.choice_tokens(), len(edits)


def escalation_choices(case_id: int, due: datetime | None = None) -> list[str]:
    """The notice's tokens; each extension carries the deadline it was offered under (16:00 Monday by default)."""
    seen = int((due or beijing(2026, 11, 16, 16)).timestamp()) // 60
    return [
        f"case:open:{case_id}",
        f"case:extend:{case_id}:4h:{seen}",
        f"case:extend:{case_id}:1d:{seen}",
        f"case:reassign:{case_id}",
    ]


async def escalated(services: Services, clock: ManualClock, world: World, *, street: bool = False) -> int:
    """A case dispatched Monday 10:00, due 16:00, escalated to Chen at the deadline (and to 李娜 the next morning)."""
    case_id = await dispatch_case(services, world, "0102", beijing(2026, 11, 16, 10))
    for when in (beijing(2026, 11, 16, 16), *([beijing(2026, 11, 17, 8)] if street else [])):
        clock.set(when)
        await sweep(services)
    return case_id


async def test_the_choices_stay_while_the_case_is_still_overdue(services: Services, clock: ManualClock) -> None:
    world = await build_world(services)
    case_id = await escalated(services, clock, world)
    text, choices, _ = await escalation_card(services, world, CHEN)
    assert text.startswith(f"🔔 Escalation, level 1: case #{case_id} ") and choices == escalation_choices(case_id)
    await act(services, world, ANNA, cases.accept, case_id)  # taken on, but still late: still escalated
    assert await escalation_card(services, world, CHEN) == (text, choices, 0)
    clock.set(beijing(2026, 11, 17, 11))
    await act(services, world, CHEN, cases.extend_deadline, case_id, "1h")  # to Monday 17:00: late all the same
    assert await escalation_card(services, world, CHEN) == (text, choices, 0)


async def test_an_extension_leaves_the_case_as_it_is_now_and_only_open(services: Services, clock: ManualClock) -> None:
    world = await build_world(services)
    case_id = await escalated(services, clock, world)
    clock.set(beijing(2026, 11, 16, 16, 30))
    await act(services, world, CHEN, cases.extend_deadline, case_id, "1d")
    text, choices, edits = await escalation_card(services, world, CHEN)
    lines = text.splitlines()
    assert lines[0] == "Status now: dispatched" and lines[1].startswith(f"Case #{case_id}: ")
    assert "Deadline: 2026-11-16 16:00" not in text and any(line.startswith("Deadline: 2026-11-1") for line in lines)
    assert choices == [f"case:open:{case_id}"] and edits == 1


async def test_closing_the_case_edits_every_escalation_notice(services: Services, clock: ManualClock) -> None:
    world = await build_world(services)
    case_id = await escalated(services, clock, world, street=True)
    assert (await escalation_card(services, world, LI_NA))[1] == escalation_choices(case_id)
    await act(services, world, LI_NA, cases.close_on_behalf, case_id, "fixed by the street team")
    text, choices, _ = await escalation_card(services, world, CHEN)
    assert text.splitlines()[0] == "This case is closed (结案)." and choices == [f"case:open:{case_id}"]
    text, choices, _ = await escalation_card(services, world, LI_NA)
    assert text.splitlines()[0] == Translator("zh_CN")("This case is closed (结案).") != "This case is closed (结案)."
    assert choices == [f"case:open:{case_id}"]


async def test_a_case_moved_out_of_a_supervisors_area_leaves_them_no_choice(
    services: Services, clock: ManualClock
) -> None:
    world = await build_world(services)
    case_id = await escalated(services, clock, world, street=True)
    async with UnitOfWork(services.db) as uow:  # another community of the same street, with one grid
        now = clock.now()
        uow.session.add(GridUnit(id="C9", name="南锣社区", level=UnitLevel.COMMUNITY, parent_id="S1", updated_at=now))
        await uow.session.flush()
        uow.session.add(GridUnit(id="G9", name="南锣01网格", level=UnitLevel.GRID, parent_id="C9", updated_at=now))
        await uow.commit()
    await act(services, world, LI_NA, cases.reassign, case_id, "G9")
    text, choices, _ = await escalation_card(services, world, CHEN)
    assert text.splitlines()[0] == "Status now: dispatched" and choices == []  # not Chen's community any more
    _, choices, _ = await escalation_card(services, world, LI_NA)
    assert choices == [f"case:open:{case_id}"]  # still her street
