"""Each kind of WeChat message as the conversation service hears it: voice, menu clicks, other messages, a photo
WeChat will not hand over, and msgmenu clicks, old and new."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from sandbox.wechat import WeChatSandboxClient, WeChatSandboxServer
from services.clock import ManualClock
from tests.e2e.wechat.world import WeChatWorld, number_of, start_world, world

__all__ = ["world"]


async def test_a_voice_message_counts_as_its_transcript_and_without_one_is_refused_politely(
    world: WeChatWorld,
) -> None:
    wx = world.wx
    user = await wx.create_user("小明", "zh_CN")
    asked = (await wx.send_image(user)).reply or ""
    refused = (await wx.send_voice(user)).reply or ""
    assert refused.startswith("无法处理贴纸、语音或视频。")
    where = (await wx.send_voice(user, "暴露垃圾。")).reply or ""  # WeChat's transcript ends with a full stop
    assert "位置" in where, where
    assert "暴露垃圾" in asked


async def test_menu_clicks_and_other_messages(world: WeChatWorld) -> None:
    wx = world.wx
    user = await wx.create_user("Tom", "en")
    assert "Send 1 to 5 photos" in ((await wx.click(user, "REPORT")).reply or "")
    assert "Commands:" in ((await wx.click(user, "HELP")).reply or "")
    assert "/report" in ((await wx.send_video(user)).reply or "")  # anything else: the help
    mine = (await wx.click(user, "MY")).reply or ""
    assert "report" in mine.lower()


async def test_a_photo_wechat_will_not_hand_over_is_asked_for_again(world: WeChatWorld) -> None:
    wx = world.wx
    user = await wx.create_user("小明", "zh_CN")
    world.server.state.get_media = _expired  # type: ignore[method-assign]
    said = (await wx.send_image(user)).reply or ""
    assert said == "抱歉，未能从微信取得这张照片，请重新发送。"
    assert await world.cases() == []


def _expired(media_id: str) -> object:
    from sandbox.wechat.state import WxError

    raise WxError(40007, "invalid media_id")


@pytest.fixture
async def menus(
    wx_server: WeChatSandboxServer, wx: WeChatSandboxClient, tmp_path: Path, clock: ManualClock
) -> AsyncIterator[WeChatWorld]:
    """An account that may send msgmenu messages."""
    running, db = await start_world(wx_server, wx, tmp_path, clock, safe=False, msgmenu=True)
    try:
        yield running
    finally:
        await running.channel.close()
        await db.dispose()


async def test_choices_also_come_as_a_msgmenu_whose_clicks_pick(menus: WeChatWorld) -> None:
    wx = menus.wx
    user = await wx.create_user("小明", "zh_CN")
    asked = await wx.send_image(user)
    menu = await wx.wait_for(user, lambda item: item.msgtype == "msgmenu")
    assert ("draft:cat:1:0102", "暴露垃圾") in menu.menu_items
    where = (await wx.choose(user, menu, "暴露垃圾")).reply or ""
    assert "位置" in where
    # A click on the old menu later: its id is the token, which the service refuses now.
    again = (await wx.choose(user, menu, "暴露垃圾")).reply or ""
    assert again == "这个问题已经回答过了。"
    assert number_of(asked.reply or "", "暴露垃圾") == "3"


async def test_a_pick_nobody_offers_is_refused_as_a_choice_not_a_button(world: WeChatWorld) -> None:
    user = await world.wx.create_user("小明", "zh_CN")
    await world.wx.send_text(user, "/lang")
    menu_click = await world.wx._act(user, "menu", {"id": "forged:token", "content": "Deutsch"})
    assert menu_click.reply == "该选项已失效。"
