"""A citizen reports on WeChat, in Chinese and in English, plaintext and safe mode: the whole loop to case ``#n``."""

from __future__ import annotations

from pathlib import Path

import pytest

from sandbox.wechat import WeChatSandboxServer
from services.clock import ManualClock
from tests.e2e.wechat.world import INSIDE, NEAR_EDGE, WeChatWorld, number_of, world

__all__ = ["world"]


async def test_a_chinese_citizen_reports_from_photo_to_case_number(world: WeChatWorld) -> None:
    wx = world.wx
    citizen = await wx.create_user("小明", "zh_CN")
    welcome = (await wx.subscribe(citizen)).reply or ""
    assert welcome.startswith("您好！我是城市市容随手拍助手")

    asked = (await wx.send_image(citizen)).reply or ""
    assert "已收到照片 1/5 张" in asked and "这属于哪类问题？" in asked
    assert "1. 非法小广告（牛皮癣）" in asked
    assert "回复" in asked  # how to answer, in Chinese

    where = (await wx.send_text(citizen, number_of(asked, "暴露垃圾"))).reply or ""
    assert "位置" in where

    note = await world.send_place(citizen, INSIDE, "东华门大街")
    assert note is not None and "跳过" in note

    check = (await wx.send_text(citizen, "垃圾桶旁边")).reply or ""
    assert "暴露垃圾" in check and "垃圾桶旁边" in check

    done = (await wx.send_text(citizen, number_of(check, "提交"))).reply or ""
    (case,) = await world.cases()
    assert case.number in done and "东华门网格一" in done
    assert case.unit_id == "G-1" and case.category == "0102"
    assert case.lat == pytest.approx(INSIDE[0], abs=1e-4) and case.lon == pytest.approx(INSIDE[1], abs=1e-4)


async def test_an_english_citizen_reports_with_a_typed_address_and_skips_the_note(world: WeChatWorld) -> None:
    wx = world.wx
    citizen = await wx.create_user("Tom", "en")
    asked = (await wx.send_image(citizen)).reply or ""
    assert "What kind of problem" in asked
    assert (await wx.send_text(citizen, "seven hundred")).reply is not None  # garbage: answered, nothing lost
    refused = (await wx.send_text(citizen, "99")).reply or ""
    assert "not one of the choices" in refused
    where = (await wx.send_text(citizen, "Exposed litter")).reply or ""  # the item's text works too
    assert "Where is it?" in where and "Location" in where
    await world.send_place(citizen, NEAR_EDGE)
    check = (await wx.send_text(citizen, "1")).reply or ""  # the only item: Skip
    assert "Please check your report" in check and "Note: (none)" in check
    done = (await wx.send_text(citizen, number_of(check, "Submit"))).reply or ""
    (case,) = await world.cases()
    assert case.number in done and "should be handled by" in done
    # The shared point was GCJ-02; read as WGS-84 it would have been in G-2.
    assert case.unit_id == "G-1"


async def test_an_answer_survives_a_restart_of_the_channel(
    world: WeChatWorld, wx_server: WeChatSandboxServer, tmp_path: Path, clock: ManualClock, safe_mode: bool
) -> None:
    wx = world.wx
    citizen = await wx.create_user("小红", "zh_CN")
    asked = (await wx.send_image(citizen)).reply or ""
    await world.channel.close()
    from channels.wechat.bootstrap import build_wechat

    again = build_wechat(world.services, world.channel.settings)
    url = await again.start("127.0.0.1", 0)
    await wx.configure_account(callback_url=url)
    try:
        where = (await wx.send_text(citizen, number_of(asked, "暴露垃圾"))).reply or ""
        assert "位置" in where
    finally:
        await again.close()
