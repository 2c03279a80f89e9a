"""One process, two channels: a report made on WeChat reaches a grid officer on Telegram, and the officer's
answer reaches the WeChat reporter; the weekly summary reaches WeChat subscribers with its chart."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from PIL import Image

from channels.telegram import CHANNEL as TELEGRAM
from channels.wechat.bootstrap import WeChatChannel, build_wechat
from channels.wechat.settings import WeChatSettings
from models.status import CaseStatus
from models.uow import UnitOfWork
from sandbox.client import SandboxClient
from sandbox.wechat import WeChatSandboxClient, WeChatSandboxServer
from services.delivery import deliver_due
from services.officers import add_officer
from services.summary.broadcast import queue_due_week
from services.users import Identity
from tests.e2e.conftest import RunningBot
from tests.e2e.test_report_flow import jpeg
from tests.e2e.test_report_flow import report as telegram_report
from tests.e2e.wechat.conftest import APP_ID, APP_SECRET, TOKEN
from tests.e2e.wechat.test_officer_loop import bound_officer, report
from tests.e2e.wechat.world import INSIDE, WeChatWorld, number_of, seed_city

#: The after-photos' width, so the reporter's pictures tell which is which (report photos are not).
AFTER_SIDE = 200


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

    # Resolved on Telegram: the reporter on WeChat is shown the after-photo from its kept copy.
    card = next(m for m in reversed(await client.bot_messages(officer.chat_id)) if m.buttons)
    await client.press(officer, card, "Resolve")
    await client.wait_for_message(officer.chat_id, "Send a photo of the fixed place")
    await client.send_photo(officer, jpeg(side=AFTER_SIDE), caption="Cleaned up")
    await client.wait_for_message(officer.chat_id, "is resolved")
    seen = await both.seen(citizen)
    await deliver_due(both.services)
    shown = await both.wx.received(citizen, seen)
    assert [item.msgtype for item in shown] == ["image", "image", "text", "text"]
    sides = [_side(await both.wx.media(item.media_id or "")) for item in shown[:2]]
    assert sides[0] != AFTER_SIDE and sides[1] == AFTER_SIDE  # the before-photo, then the officer's after-photo
    assert "问题解决了吗" in (shown[-1].text or "") and "Cleaned up" in (shown[-1].text or "")


async def test_a_wechat_officers_after_photo_reaches_a_telegram_reporter(
    both: WeChatWorld, client: SandboxClient
) -> None:
    officer = await bound_officer(both)
    reporter = await client.create_user(first_name="Ann", language_code="en")
    done = await telegram_report(client, reporter, category="Exposed litter", where=INSIDE)
    (case,) = await both.cases()
    assert case.number in done.text
    seen = await both.seen(officer)
    await deliver_due(both.services)
    card = "\n".join(item.text or "" for item in await both.wx.received(officer, seen) if item.msgtype == "text")
    accepted = (await both.wx.send_text(officer, number_of(card, "接单"))).reply or ""
    await both.wx.send_text(officer, number_of(accepted, "处置完成"))
    assert "/skip" in ((await both.wx.send_image(officer, jpeg(side=AFTER_SIDE))).reply or "")
    assert case.number in ((await both.wx.send_text(officer, "已清理干净")).reply or "")

    before = len(await client.bot_messages(reporter.chat_id))
    await deliver_due(both.services)
    shown = (await client.bot_messages(reporter.chat_id))[before:]
    pictures = [m for m in shown if m.file_id]
    sides = [_side(await client.download(m.file_id or "")) for m in pictures]
    assert sides == [320, AFTER_SIDE]  # the report's photo and the officer's after-photo, as an album
    question = next(m for m in shown if m.buttons)
    assert "Is the problem fixed?" in question.text and "已清理干净" in question.text
    query = await client.press(reporter, question, "Fixed")
    assert (await client.wait_for_answer(query)).text == "Thank you!"
    (case,) = await both.cases()
    assert case.status == CaseStatus.CLOSED and case.satisfied


def _side(data: bytes) -> int:
    """The width of a picture someone was shown."""
    with Image.open(io.BytesIO(data)) as image:
        return image.size[0]


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
