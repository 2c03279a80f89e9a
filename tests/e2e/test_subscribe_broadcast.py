"""The weekly broadcast through the sandbox: subscribers see the chart and the report; blocked chats drop out."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from channels.telegram import CHANNEL as TELEGRAM
from models.broadcast import Subscription
from models.identities import UserIdentity
from models.outbox import DeliveryStatus, OutboxMessage
from sandbox.client import SandboxClient
from services.clock import ManualClock
from services.delivery import deliver_due
from services.summary.broadcast import queue_due_week, queue_week
from services.summary.weeks import IsoWeek
from services.users import user_by_identity
from tests.e2e.conftest import RunningBot
from tests.integration.summary_world import SUMMARY_TIME, build_world


async def test_subscribers_get_the_chart_and_the_report_of_their_area(
    bot: RunningBot, client: SandboxClient, clock: ManualClock
) -> None:
    assert bot.services is not None
    await build_world(bot.services)
    zh = await client.create_user(first_name="李雷", language_code="zh-hans")
    en = await client.create_user(first_name="Anna", language_code="en")
    await client.send_command(zh, "/subscribe", "city")
    await client.wait_for_message(zh.chat_id, "订阅成功")
    await client.send_command(en, "/subscribe", "东华门街道")
    await client.wait_for_message(en.chat_id, "Subscribed")
    clock.set(SUMMARY_TIME)
    await queue_week(bot.services, IsoWeek(2026, 47))
    assert await deliver_due(bot.services) == 2

    report = await client.wait_for_message(zh.chat_id, "城市管理周通报")
    assert report.text.startswith("城市管理周通报 2026-W47（2026-11-16 至 2026-11-22）：全市")
    assert "受理 9（较上周 +7）· 立案 7 · 派遣 6 · 结案 4" in report.text
    largest = report.raw["photo"][-1]
    assert largest["width"] >= 800  # the chart itself, uploaded from its file

    street = await client.wait_for_message(en.chat_id, "Received")
    assert "photo" in street.raw
    assert street.text.startswith("Weekly report 2026-W47 (2026-11-16 – 2026-11-22): 东华门街道")
    assert "Received 5 (+4 on last week)" in street.text
    assert street.text.endswith("Send /unsubscribe to stop these reports.")


async def test_a_subscriber_who_blocked_the_bot_is_unsubscribed_before_the_next_week(
    bot: RunningBot, client: SandboxClient, clock: ManualClock
) -> None:
    assert bot.services is not None
    await build_world(bot.services)
    user = await client.create_user(first_name="Anna", language_code="en")
    await client.send_command(user, "/subscribe", "city")
    await client.wait_for_message(user.chat_id, "Subscribed")
    await client.block_bot(user)
    clock.set(SUMMARY_TIME)
    await queue_week(bot.services, IsoWeek(2026, 47))
    assert await deliver_due(bot.services) == 0
    async with bot.services.db.sessions() as session:
        chat = select(OutboxMessage).where(
            OutboxMessage.channel == TELEGRAM, OutboxMessage.address == str(user.chat_id)
        )
        rows = list(await session.scalars(chat))
        assert {row.status for row in rows} == {DeliveryStatus.FAILED}
        account = await session.scalar(
            select(UserIdentity).where(UserIdentity.channel == TELEGRAM, UserIdentity.external_id == str(user.id))
        )
        assert account is not None and account.blocked
        stored = await user_by_identity(session, TELEGRAM, user.id)
        assert stored is not None and stored.contact_address is None  # nothing more is queued for them

    clock.set(datetime(2026, 11, 30, 1, 0, tzinfo=UTC))  # the next Monday
    result = await queue_due_week(bot.services)
    assert result.week == "2026-W48" and result.ended == 1 and result.recipients == 0
    async with bot.services.db.sessions() as session:
        sub = await session.scalar(
            select(Subscription).where(Subscription.channel == TELEGRAM, Subscription.address == str(user.chat_id))
        )
        assert sub is not None and not sub.active and sub.ended_reason == "blocked"
        keys = list(await session.scalars(select(OutboxMessage.dedupe_key)))
    assert not any(key and key.startswith("summary:2026-W48") for key in keys)
