"""Delivery through the sandbox with injected faults: every notification arrives exactly once, in order."""

from __future__ import annotations

from sqlalchemy import func, select

from channels.telegram import CHANNEL as TELEGRAM
from models.cases import Photo, PhotoKind
from models.identities import UserIdentity
from models.outbox import DeliveryStatus, OutboxMessage
from models.status import CaseStatus
from models.uow import UnitOfWork
from models.users import User
from sandbox.client import SandboxClient
from services.clock import ManualClock
from services.delivery import deliver_due
from services.messages import Message, PhotoRef, Text
from services.outbox import Contact, enqueue
from tests.e2e.conftest import RunningBot
from tests.e2e.test_officer_flow import CATEGORY, card, staffed_city, status
from tests.e2e.test_report_flow import INSIDE, jpeg, report
from tests.world import queue_text

FAULTY = ["sendMessage", "sendPhoto", "sendMediaGroup", "sendLocation", "editMessageText"]


async def drain(bot: RunningBot, clock: ManualClock, rounds: int = 300) -> None:
    """Deliver until nothing is pending, moving the clock to each retry's time (the job would wait for it)."""
    assert bot.services is not None
    for _ in range(rounds):
        await deliver_due(bot.services)
        async with UnitOfWork(bot.services.db) as uow:
            pending = OutboxMessage.status == DeliveryStatus.PENDING
            if await uow.session.scalar(select(func.count()).where(pending)) == 0:
                return
            later = OutboxMessage.next_attempt_at > clock.now()
            next_due = await uow.session.scalar(select(func.min(OutboxMessage.next_attempt_at)).where(pending, later))
        if next_due is not None:
            clock.set(next_due)
    rows = [
        (r.id, r.address, r.kind, r.status, r.attempts, r.next_attempt_at, r.claimed_until, r.last_error)
        for r in await outbox_rows(bot)
        if r.status == DeliveryStatus.PENDING
    ]
    raise AssertionError(f"the outbox did not drain at {clock.now()}: {rows[:5]}")


async def faulty_drain(bot: RunningBot, client: SandboxClient, clock: ManualClock, seed: int) -> None:
    """Drain with 20 % of the bot's sends failing with 5xx or 429 (the handlers' own replies are spared)."""
    await client.set_faults(rate=0.2, statuses=[500, 502, 503, 429], seed=seed, methods=FAULTY)
    try:
        await drain(bot, clock)
    finally:
        await client.clear_faults()


async def outbox_rows(bot: RunningBot) -> list[OutboxMessage]:
    assert bot.services is not None
    async with UnitOfWork(bot.services.db) as uow:
        return list(await uow.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


async def test_a_twenty_percent_fault_rate_still_delivers_each_message_once_in_order(
    bot: RunningBot, client: SandboxClient, clock: ManualClock
) -> None:
    assert bot.services is not None
    bot.services.config.outbox.per_chat_interval_seconds = 0
    people = [await client.create_user(first_name=f"P{n}") for n in range(6)]
    for person in people:
        await client.send_command(person, "/start")
        await client.wait_for_message(person.chat_id)
    photo = (await client.send_photo(people[0], jpeg())).file_id
    assert photo is not None
    async with UnitOfWork(bot.services.db) as uow:
        s, now = uow.session, clock.now()
        for n in range(10):
            for person in people:
                await queue_text(s, person.chat_id, f"notice {n} for {person.first_name}", kind="t", now=now)
        stored = Photo(kind=PhotoKind.REPORT, channel=TELEGRAM, file_id=photo, created_at=now)
        s.add(stored)
        await s.flush()
        album = Message(lines=(Text.raw("album"),), photos=(PhotoRef(stored.id), PhotoRef(stored.id)))
        for person in people:
            to = Contact(TELEGRAM, str(person.chat_id))
            await enqueue(s, to=to, message=album, kind="t", now=now)
            await enqueue(s, to=to, message=Message(location=(1.0, 2.0)), kind="t", now=now)
        await uow.commit()
    await faulty_drain(bot, client, clock, seed=7)
    rows = await outbox_rows(bot)
    assert {r.status for r in rows} == {DeliveryStatus.SENT}
    assert any(r.attempts > 1 for r in rows), "the faults did hit some sends"
    for person in people:
        shown = [m for m in await client.bot_messages(person.chat_id) if m.text != "" or m.file_id or m.location]
        notices = [m.text for m in shown if m.text.startswith("notice")]
        assert notices == [f"notice {n} for {person.first_name}" for n in range(10)]
        assert len([m for m in shown if m.file_id]) == 2  # the album's two photos, once
        assert len([m for m in shown if m.location]) == 1


async def test_the_closed_loop_under_faults_delivers_every_notification_once(
    bot: RunningBot, client: SandboxClient, clock: ManualClock
) -> None:
    city = await staffed_city(bot, client)
    await report(client, city.reporter, category=CATEGORY, where=INSIDE)
    await faulty_drain(bot, client, clock, seed=1)
    case_id = 1
    for officer in (city.officer_a, city.officer_b):
        cards = [m for m in await client.bot_messages(officer.chat_id) if m.buttons]
        assert len(cards) == 1
    await client.wait_for_answer(
        await client.press(city.officer_a, await card(client, city.officer_a, case_id), "接单")
    )
    await client.press(city.officer_a, await card(client, city.officer_a, case_id), "处置完成")
    await client.wait_for_message(city.officer_a.chat_id, f"#{case_id}")
    await client.send_photo(city.officer_a, jpeg(), caption="清理完毕")
    await client.wait_for_message(city.officer_a.chat_id, "已处置完成")
    await faulty_drain(bot, client, clock, seed=2)
    questions = [m for m in await client.bot_messages(city.reporter.chat_id) if m.buttons]
    assert [q.button_texts for q in questions][-1] == ["Fixed", "Not fixed"]
    assert len([m for m in await client.bot_messages(city.reporter.chat_id) if "Is the problem fixed" in m.text]) == 1
    taken = [m for m in await client.bot_messages(city.officer_b.chat_id) if "was taken by" in m.text]
    assert len(taken) == 1 and taken[0].buttons == []
    await client.wait_for_answer(await client.press(city.reporter, questions[-1], "Fixed"))
    await faulty_drain(bot, client, clock, seed=3)
    assert (await status(bot, case_id)).status == CaseStatus.CLOSED
    closed = [m for m in await client.bot_messages(city.officer_a.chat_id) if "上报人确认" in m.text]
    assert len(closed) == 1
    for row in await outbox_rows(bot):
        assert row.status == DeliveryStatus.SENT, (row.id, row.kind, row.last_error)


async def test_a_user_who_blocked_the_bot_is_marked_and_skipped(
    bot: RunningBot, client: SandboxClient, clock: ManualClock
) -> None:
    city = await staffed_city(bot, client)
    await client.block_bot(city.officer_b)
    await report(client, city.reporter, category=CATEGORY, where=INSIDE)
    await drain(bot, clock)
    assert bot.services is not None
    async with UnitOfWork(bot.services.db) as uow:
        found = (
            await uow.session.execute(
                select(User, UserIdentity)
                .join(UserIdentity, UserIdentity.user_id == User.id)
                .where(UserIdentity.channel == TELEGRAM, UserIdentity.external_id == str(city.officer_b.id))
            )
        ).first()
        assert found is not None
        blocked, account = found
        assert account.blocked and blocked.contact_address is None
    rows = await outbox_rows(bot)
    b_chat, a_chat = str(city.officer_b.id), str(city.officer_a.id)
    to_b = [r for r in rows if (r.channel, r.address) == (TELEGRAM, b_chat)]
    assert to_b and {r.status for r in to_b} == {DeliveryStatus.FAILED}
    assert sum(r.attempts for r in to_b) == 1  # one call found out; the rest were never tried
    assert {r.status for r in rows if (r.channel, r.address) == (TELEGRAM, a_chat)} == {DeliveryStatus.SENT}
    # The next notice for the case is not even queued for the blocked officer.
    await client.wait_for_answer(await client.press(city.officer_a, await card(client, city.officer_a, 1), "接单"))
    assert [r.id for r in await outbox_rows(bot) if (r.channel, r.address) == (TELEGRAM, b_chat)] == [
        r.id for r in to_b
    ]


async def test_pacing_keeps_under_the_sandboxs_flood_limits(
    bot: RunningBot, client: SandboxClient, clock: ManualClock
) -> None:
    assert bot.services is not None
    person = await client.create_user(first_name="Busy")
    await client.send_command(person, "/start")
    await client.wait_for_message(person.chat_id)
    # Telegram's limit as the sandbox models it: 1 message/s in a private chat, short bursts of 3 tolerated.
    await client.set_rate_limits(True, private_per_second=1, private_burst=3)
    async with UnitOfWork(bot.services.db) as uow:
        for n in range(6):
            await queue_text(uow.session, person.chat_id, f"paced {n}", kind="t", now=clock.now())
        await uow.commit()
    try:
        assert await deliver_due(bot.services) == 6
    finally:
        await client.set_rate_limits(False)
    assert all(r.attempts == 1 for r in await outbox_rows(bot))  # never answered 429
    texts = [m.text for m in await client.bot_messages(person.chat_id) if m.text.startswith("paced")]
    assert texts == [f"paced {n}" for n in range(6)]
