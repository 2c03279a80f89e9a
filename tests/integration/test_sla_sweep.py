"""The SLA sweep through a case's life on both backends: reminder, overdue, escalation, pauses, extension, close."""

from __future__ import annotations

from datetime import datetime, timedelta

from models.status import CaseStatus
from services.clock import ManualClock
from services.context import Services
from services.sla import sweep
from tests.integration.sla_world import (
    BEIJING,
    beijing,
    build_world,
    change_case,
    dispatch_case,
    get_case,
    sla_messages,
)


async def sweep_at(services: Services, clock: ManualClock, when: datetime) -> list[tuple[int, str]]:
    """Move the clock, sweep, and return who got which notice, as (chat id, kind)."""
    clock.set(when)
    result = await sweep(services)
    return sorted((int(notice.address), notice.kind) for notice in result.notices)


async def test_reminder_at_75_percent_across_the_weekend_reaches_each_officer_in_their_language(
    services: Services, clock: ManualClock
) -> None:
    world = await build_world(services)
    case_id = await dispatch_case(services, world, "0102", beijing(2026, 11, 20, 16))  # Friday 16:00, 4 working h
    for quiet in (beijing(2026, 11, 20, 17, 59), beijing(2026, 11, 21, 10), beijing(2026, 11, 23, 8, 59)):
        assert await sweep_at(services, clock, quiet) == []
    assert await sweep_at(services, clock, beijing(2026, 11, 23, 9)) == [(101, "reminder"), (102, "reminder")]
    texts = dict((chat, text) for chat, _kind, text in await sla_messages(services))
    assert texts[101].startswith(
        f"⏰ 提醒：案件 #{case_id}（暴露垃圾，多福巷01网格）将于 2026-11-23 10:00 到期，剩余 1小时。"
    )
    assert texts[102].startswith(
        f"⏰ Reminder: case #{case_id} (Exposed litter, 多福巷01网格) is due at 2026-11-23 10:00"
    )


async def test_deadline_then_escalation_up_the_chain_with_the_right_recipients(
    services: Services, clock: ManualClock
) -> None:
    world = await build_world(services)
    await dispatch_case(services, world, "0102", beijing(2026, 11, 16, 10))  # 10-12 and 14-16: due Monday 16:00
    assert await sweep_at(services, clock, beijing(2026, 11, 16, 15)) == [(101, "reminder"), (102, "reminder")]
    at_deadline = await sweep_at(services, clock, beijing(2026, 11, 16, 16))
    # The community supervisor, and the reporter (900) told once that the case was escalated.
    assert at_deadline == [(101, "overdue"), (102, "overdue"), (201, "escalation"), (900, "escalated")]
    for night in (beijing(2026, 11, 16, 20), beijing(2026, 11, 17, 7, 59)):
        assert await sweep_at(services, clock, night) == []  # a working-clock case waits for working time
    street = await sweep_at(services, clock, beijing(2026, 11, 17, 8))
    assert street == [(101, "chase"), (102, "chase"), (301, "escalation")]
    assert await sweep_at(services, clock, beijing(2026, 11, 17, 12)) == [(101, "chase"), (102, "chase")]
    district = await sweep_at(services, clock, beijing(2026, 11, 17, 16))  # 24 h after the deadline
    assert district == [(101, "chase"), (102, "chase"), (401, "escalation")]
    texts = {chat: text for chat, kind, text in await sla_messages(services) if kind == "sla_escalation"}
    assert texts[301].startswith("🔔 督办（第2级）：")
    assert "is 1 d overdue; the deadline was 2026-11-16 16:00. Handled by: not accepted yet." in texts[401]


async def test_chase_reaches_only_the_owner_once_accepted_and_never_more_often_than_the_cap(
    services: Services, clock: ManualClock
) -> None:
    world = await build_world(services)
    case_id = await dispatch_case(services, world, "0505", beijing(2026, 11, 16, 10))  # emergency, due 12:00
    clock.set(beijing(2026, 11, 16, 10, 30))
    await change_case(services, case_id, "accept", owner_id=world.user_ids[102])
    chased: list[datetime] = []
    for quarter in range(24 * 4):
        when = beijing(2026, 11, 16, 10) + timedelta(minutes=15 * quarter)
        for chat, kind in await sweep_at(services, clock, when):
            assert chat in (102, 201, 301, 401, 900), "only the owner among officers"
            if kind in ("overdue", "chase"):
                chased.append(when.astimezone(BEIJING))
    assert [moment.strftime("%d %H:%M") for moment in chased] == [
        "16 12:00",
        "16 16:00",
        "16 20:00",
        "17 00:00",
        "17 04:00",
        "17 08:00",
    ]
    owner_texts = [text for chat, _kind, text in await sla_messages(services) if chat == 102]
    escalation = [text for _chat, kind, text in await sla_messages(services) if kind == "sla_escalation"]
    assert len(owner_texts) == 7  # reminder, overdue and five chases
    assert all("Handled by: Anna" in text or "处置人：Anna" in text for text in escalation)


async def test_suspension_pauses_notices_and_resume_moves_the_deadline(services: Services, clock: ManualClock) -> None:
    world = await build_world(services)
    case_id = await dispatch_case(services, world, "0505", beijing(2026, 11, 16, 10))  # due 12:00, reminder 11:30
    clock.set(beijing(2026, 11, 16, 11))
    await change_case(services, case_id, "suspend")
    for when in (beijing(2026, 11, 16, 11, 30), beijing(2026, 11, 16, 12), beijing(2026, 11, 18, 9)):
        assert await sweep_at(services, clock, when) == []
    clock.set(beijing(2026, 11, 18, 10))
    await change_case(services, case_id, "resume")  # paused 47 h of calendar time
    case = await get_case(services, case_id)
    assert case.due_at == beijing(2026, 11, 18, 11)
    assert await sweep_at(services, clock, beijing(2026, 11, 18, 10, 29)) == []
    assert await sweep_at(services, clock, beijing(2026, 11, 18, 10, 30)) == [(101, "reminder"), (102, "reminder")]
    overdue = await sweep_at(services, clock, beijing(2026, 11, 18, 11))
    assert overdue == [(101, "overdue"), (102, "overdue"), (201, "escalation"), (900, "escalated")]


async def test_extension_silences_an_overdue_case_until_its_new_deadline(
    services: Services, clock: ManualClock
) -> None:
    world = await build_world(services)
    case_id = await dispatch_case(services, world, "0505", beijing(2026, 11, 16, 10))
    await sweep_at(services, clock, beijing(2026, 11, 16, 12))  # overdue, level 1
    clock.set(beijing(2026, 11, 16, 13))
    await change_case(services, case_id, "extend", amount="1d")  # 延期 to Tuesday 12:00
    assert await sweep_at(services, clock, beijing(2026, 11, 16, 16)) == []  # no chase, no level 2
    # The reminder never went out (the case was overdue first); it comes before the new deadline.
    assert await sweep_at(services, clock, beijing(2026, 11, 17, 5, 30)) == [(101, "reminder"), (102, "reminder")]
    assert await sweep_at(services, clock, beijing(2026, 11, 17, 11, 59)) == []
    again = await sweep_at(services, clock, beijing(2026, 11, 17, 12))
    assert again == [(101, "overdue"), (102, "overdue"), (201, "escalation"), (900, "escalated")]
    texts = [text for chat, kind, text in await sla_messages(services) if chat == 102 and kind == "sla_overdue"]
    assert [text.split("deadline was ")[1][:16] for text in texts] == ["2026-11-16 12:00", "2026-11-17 12:00"]


async def test_resolution_stops_the_chase_and_an_unanswered_case_closes(services: Services, clock: ManualClock) -> None:
    world = await build_world(services)
    case_id = await dispatch_case(services, world, "0505", beijing(2026, 11, 16, 10))
    await sweep_at(services, clock, beijing(2026, 11, 16, 12))
    clock.set(beijing(2026, 11, 16, 13))
    await change_case(services, case_id, "resolve")
    for when in (beijing(2026, 11, 16, 16), beijing(2026, 11, 17, 16), beijing(2026, 11, 19, 12, 59)):
        assert await sweep_at(services, clock, when) == []
    clock.set(beijing(2026, 11, 19, 13))  # 72 h without the reporter's answer
    result = await sweep(services)
    assert result.closed == [case_id] and result.notices == []
    case = await get_case(services, case_id)
    assert (case.status, case.next_check_at) == (CaseStatus.CLOSED, None)
    assert await sweep_at(services, clock, beijing(2026, 11, 25, 13)) == []


async def test_catch_up_after_downtime_sends_each_due_notice_once(services: Services, clock: ManualClock) -> None:
    world = await build_world(services)
    await dispatch_case(services, world, "0102", beijing(2026, 11, 16, 10))  # due Monday 16:00
    # The bot was down from Monday morning to Thursday: one sweep catches up, with the highest level only.
    caught_up = await sweep_at(services, clock, beijing(2026, 11, 19, 9))
    assert caught_up == [(101, "overdue"), (102, "overdue"), (401, "escalation"), (900, "escalated")]
    assert await sweep_at(services, clock, beijing(2026, 11, 19, 9)) == []
    assert len(await sla_messages(services)) == 4
    assert await sweep_at(services, clock, beijing(2026, 11, 19, 13)) == []  # lunch break: the chase waits
    assert await sweep_at(services, clock, beijing(2026, 11, 19, 14)) == [(101, "chase"), (102, "chase")]


async def test_emergency_case_is_notified_at_night_a_working_one_is_not(services: Services, clock: ManualClock) -> None:
    world = await build_world(services)
    await dispatch_case(services, world, "0505", beijing(2026, 11, 21, 23))  # parking, Saturday 23:00
    await dispatch_case(services, world, "0102", beijing(2026, 11, 20, 17))  # litter, due Monday 11:00
    assert await sweep_at(services, clock, beijing(2026, 11, 22, 0, 30)) == [(101, "reminder"), (102, "reminder")]
    at_one = await sweep_at(services, clock, beijing(2026, 11, 22, 1))
    assert at_one == [(101, "overdue"), (102, "overdue"), (201, "escalation"), (900, "escalated")]
    at_five = await sweep_at(services, clock, beijing(2026, 11, 22, 5))
    assert at_five == [(101, "chase"), (102, "chase"), (301, "escalation")]
    assert await sweep_at(services, clock, beijing(2026, 11, 23, 0, 59)) == [(101, "chase"), (102, "chase")]


async def test_recipients_who_blocked_the_bot_are_skipped(services: Services, clock: ManualClock) -> None:
    from models.uow import UnitOfWork
    from services.users import mark_unreachable

    world = await build_world(services)
    async with UnitOfWork(services.db) as uow:
        await mark_unreachable(uow.session, "telegram", "101")
        await uow.commit()
    await dispatch_case(services, world, "0505", beijing(2026, 11, 16, 10))
    assert await sweep_at(services, clock, beijing(2026, 11, 16, 11, 30)) == [(102, "reminder")]


async def test_reporter_and_followers_hear_once_that_their_case_was_escalated(
    services: Services, clock: ManualClock
) -> None:
    from models.cases import CaseFollower
    from models.uow import UnitOfWork
    from tests.world import tg_user

    world = await build_world(services)
    case_id = await dispatch_case(services, world, "0505", beijing(2026, 11, 16, 10))  # due 12:00
    async with UnitOfWork(services.db) as uow:
        now = clock.now()
        follower = tg_user(950, first_name="Fiona", language="en", created_at=now)
        banned = tg_user(960, first_name="Spam", language="en", created_at=now, banned=True)
        uow.session.add_all([follower, banned])
        await uow.session.flush()
        for user_id in (world.user_ids[900], follower.id, banned.id):  # the reporter follows too, as intake does
            uow.session.add(CaseFollower(case_id=case_id, user_id=user_id))
        await uow.commit()
    at_deadline = await sweep_at(services, clock, beijing(2026, 11, 16, 12))
    assert [chat for chat, kind in at_deadline if kind == "escalated"] == [900, 950]
    for later in (beijing(2026, 11, 16, 16), beijing(2026, 11, 17, 12)):  # levels 2 and 3: staff only
        assert [kind for _chat, kind in await sweep_at(services, clock, later)] == ["chase", "chase", "escalation"]
    news = {chat: text for chat, kind, text in await sla_messages(services) if kind == "sla_escalated"}
    assert news[900] == (
        f"🔔 您上报的问题 #{case_id}（机动车乱停放，多福巷01网格）未在处置时限 2026-11-16 12:00 前处理，"
        "已提请上级督办。处理后我们会通知您。\n发送 /my 查看您的上报。"
    )
    assert news[950].startswith(
        f"🔔 Your report #{case_id} (Illegal parking (motor vehicles), 多福巷01网格) was not handled by its "
        "deadline, 2026-11-16 12:00: it has been escalated to the supervisors"
    )
    assert "王伟" not in news[900] and "Anna" not in news[950]  # no officer's name reaches citizens
