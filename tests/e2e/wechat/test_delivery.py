"""Notices to WeChat followers through the outbox: the 48-hour window, templates, held rows, refusals, retries."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from models.outbox import DeliveryStatus
from sandbox.wechat import WeChatSandboxClient, WeChatSandboxServer
from sandbox.wechat.client import WxUser
from services.clock import ManualClock
from services.delivery import HELD
from tests.e2e.wechat.test_officer_loop import bound_officer, report
from tests.e2e.wechat.world import WeChatWorld, number_of, start_world, world

__all__ = ["world"]
ACCEPTED = "accepted by a grid officer"


async def accepted_case(world: WeChatWorld, citizen: WxUser, *, window_closed: bool) -> None:
    """The citizen reports, the officer gets the card (and, if told, the citizen's window closes), then accepts."""
    officer = await bound_officer(world)
    await report(world, citizen, "Exposed litter")
    await world.deliver()
    card = "\n".join(t for t in await world.wx.texts(officer) if "接单" in t)
    if window_closed:
        await world.wx.advance_clock(timedelta(hours=49))
    # The officer's own window: they answer now, so it is open again.
    await world.wx.send_text(officer, number_of(card, "接单"))


@pytest.fixture
async def templated(
    wx_server: WeChatSandboxServer, wx: WeChatSandboxClient, tmp_path: Path, clock: ManualClock
) -> AsyncIterator[WeChatWorld]:
    """The channel with a template configured for case status notices."""
    running, db = await start_world(wx_server, wx, tmp_path, clock, safe=False, templates={"case_status": "tmpl-1"})
    try:
        yield running
    finally:
        await running.channel.close()
        await db.dispose()


async def test_outside_the_window_a_configured_template_carries_the_notice(templated: WeChatWorld) -> None:
    citizen = await templated.wx.create_user("Tom", "en")
    await accepted_case(templated, citizen, window_closed=True)
    await templated.deliver()
    shown = await templated.last(citizen)
    assert shown.via == "template" and shown.template_id == "tmpl-1"
    assert ACCEPTED in str(shown.data["first"]) and "Write to this account" in str(shown.data["remark"])
    row = [r for r in await templated.outbox() if r.kind == "case_status"][-1]
    assert row.status == DeliveryStatus.SENT


async def test_outside_the_window_without_a_template_the_notice_waits_and_goes_once(world: WeChatWorld) -> None:
    citizen = await world.wx.create_user("Tom", "en")
    await accepted_case(world, citizen, window_closed=True)
    await world.deliver()
    assert not any(ACCEPTED in t for t in await world.wx.texts(citizen))
    row = [r for r in await world.outbox() if r.kind == "case_status"][-1]
    assert row.status == DeliveryStatus.PENDING and (row.last_error or "").startswith(HELD)
    await world.deliver()  # held: not tried again
    assert not any(ACCEPTED in t for t in await world.wx.texts(citizen))

    await world.wx.send_text(citizen, "/my")  # the citizen writes: the window opens, the notice is due
    await world.deliver()
    await world.deliver()
    assert sum(ACCEPTED in t for t in await world.wx.texts(citizen)) == 1
    row = [r for r in await world.outbox() if r.kind == "case_status"][-1]
    assert row.status == DeliveryStatus.SENT


async def test_a_follower_who_unfollowed_gets_nothing_more(world: WeChatWorld) -> None:
    officer = await bound_officer(world)
    citizen = await world.wx.create_user("小明", "zh_CN")
    await report(world, citizen)
    assert (await world.wx.unsubscribe(citizen)).outcome == "success"
    await world.deliver()
    card = "\n".join(t for t in await world.wx.texts(officer) if "接单" in t)
    await world.wx.send_text(officer, number_of(card, "接单"))
    await world.deliver()
    # Unfollowing made the account unreachable: nothing was even queued for it (and nothing reached it).
    assert [r for r in await world.outbox() if r.address == citizen.openid and r.kind == "case_status"] == []


async def test_an_expired_token_is_refreshed_and_the_answer_still_arrives(world: WeChatWorld) -> None:
    citizen = await world.wx.create_user("小明", "zh_CN")
    await world.wx.send_text(citizen, "/help")
    fetched = await world.wx.token_fetches()
    await world.wx.invalidate_tokens()
    officer = await bound_officer(world)
    await report(world, citizen)
    await world.deliver()
    assert any("接单" in t for t in await world.wx.texts(officer))
    assert await world.wx.token_fetches() == fetched + 1


async def test_a_replayed_message_has_one_effect_and_a_forged_one_none(world: WeChatWorld) -> None:
    wx = world.wx
    citizen = await wx.create_user("小明", "zh_CN")
    asked = await wx.send_image(citizen)
    await wx.send_text(citizen, number_of(asked.reply or "", "暴露垃圾"))
    await world.send_place(citizen, (39.91, 116.40))
    check = await wx.send_text(citizen, "跳过")
    submitted = await wx.send_text(citizen, number_of(check.reply or "", "提交"))
    again = await wx.replay(submitted)
    assert again.outcome == "success" and again.reply is None
    assert len(await world.cases()) == 1
    assert len([p for p in await world.outbox() if p.kind == "assignment_card"]) == 0  # G-1 has no officer yet

    before = len(await wx.received(citizen))
    await wx.configure_account(token="not-the-token")  # WeChat now signs with a token citybot does not have
    forged = await wx.send_text(citizen, "/report")
    assert forged.attempts[0]["status"] == 403 and forged.unavailable
    await wx.configure_account(token="sandbox-token")
    assert len(await wx.received(citizen)) == before + 1  # only WeChat's own notice
    assert len(await world.cases()) == 1
