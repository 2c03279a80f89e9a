"""One process, two channels: a report made on WeChat reaches a grid officer on Telegram, and the officer's
answer reaches the WeChat reporter; the weekly summary reaches WeChat subscribers with its chart."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from channels.telegram import CHANNEL as TELEGRAM
from channels.wechat.bootstrap import WeChatChannel, build_wechat
from channels.wechat.settings import WeChatSettings
from models.uow import UnitOfWork
from sandbox.client import SandboxClient
from sandbox.wechat import WeChatSandboxClient, WeChatSandboxServer
from services.delivery import deliver_due
from services.officers import add_officer
from services.summary.broadcast import queue_due_week
from services.users import Identity
from tests.e2e.conftest import RunningBot
from tests.e2e.test_report_flow import jpeg
from tests.e2e.wechat.conftest import APP_ID, APP_SECRET, TOKEN
from tests.e2e.wechat.test_officer_loop import report
from tests.e2e.wechat.world import WeChatWorld, seed_city


@pytest.fixture
async def both(bot: RunningBot, wx_server: WeChatSandboxServer, wx: WeChatSandboxClient) -> AsyncIterator[WeChatWorld]:
    """The Telegram bot polling its sandbox, and the WeChat channel built over the same services."""
    services = bot.services
    assert services is not None
    services.config.outbox.per_chat_interval_seconds = 0
    await seed_city(services)
    settings = WeChatSettings(app_id=APP_ID, app_secret=APP_SECRET, token=TOKEN, api_base=wx_server.api_base)
    channel: WeChatChannel = build_wechat(services, settings)
    url = await channel.start("127.0.0.1", 0)
    await wx.configure_account(app_id=APP_ID, app_secret=APP_SECRET, token=TOKEN, aes_key=None, callback_url=url)
    try:
        yield WeChatWorld(wx_server, wx, services, channel, bot.clock)
    finally:
        await channel.close()


async def test_a_wechat_report_reaches_a_telegram_officer_and_the_answer_comes_back(
    both: WeChatWorld, client: SandboxClient
) -> None:
    officer = await client.create_user(first_name="Brown", language_code="en")
    async with UnitOfWork(both.services.db) as uow:
        await add_officer(uow.session, Identity(officer.id, channel=TELEGRAM), "G-1", now=both.clock.now())
        await uow.commit()
    citizen = await both.wx.create_user("小明", "zh_CN")
    await report(both, citizen)
    (case,) = await both.cases()
    await deliver_due(both.services)

    messages = await client.bot_messages(officer.chat_id)
    assert any(m.file_id for m in messages)  # the WeChat photo, from its kept copy
    card = next(m for m in reversed(messages) if m.buttons)
    assert case.number in card.text and "Exposed litter" in card.text
    query = await client.press(officer, card, "Accept")
    assert (await client.wait_for_answer(query)).text == f"You accepted case {case.number}."
    await deliver_due(both.services)
    told = await both.wx.wait_for(citizen, "已由网格员接单")
    assert case.number in (told.text or "")

    # Resolved on Telegram with an after-photo WeChat cannot be sent: the before-photo and the question still go.
    card = next(m for m in reversed(await client.bot_messages(officer.chat_id)) if m.buttons)
    await client.press(officer, card, "Resolve")
    await client.wait_for_message(officer.chat_id, "Send a photo of the fixed place")
    await client.send_photo(officer, jpeg(), caption="Cleaned up")
    await client.wait_for_message(officer.chat_id, "is resolved")
    seen = await both.seen(citizen)
    await deliver_due(both.services)
    shown = await both.wx.received(citizen, seen)
    assert [item.msgtype for item in shown] == ["image", "text", "text"]
    assert "问题解决了吗" in (shown[-1].text or "") and "Cleaned up" in (shown[-1].text or "")


async def test_the_weekly_summary_reaches_a_wechat_subscriber_with_its_chart(both: WeChatWorld) -> None:
    citizen = await both.wx.create_user("小明", "zh_CN")
    asked = await both.wx.send_text(citizen, "/subscribe")
    assert "1. " in (asked.reply or "")
    await both.wx.send_text(citizen, "1")  # the whole city
    both.services.config.summary.rank_level = "community"
    both.services.config.summary.rank_min_cases = 1
    await report(both, citizen)
    both.clock.advance(timedelta(days=7))
    await queue_due_week(both.services)
    seen = await both.seen(citizen)
    await deliver_due(both.services)
    shown = await both.wx.received(citizen, seen)
    texts = "\n".join(item.text or "" for item in shown)
    assert [item.msgtype for item in shown] == ["image", "text"]  # the chart, uploaded, then the figures
    assert (shown[1].text or "").startswith("城市管理周通报 2026-W47") and "受理 1" in texts
    chart = await both.wx.media(shown[0].media_id or "")
    assert chart[:8] == b"\x89PNG\r\n\x1a\n" or chart[:2] == b"\xff\xd8"
