"""/my through the sandbox: the reporter's cases newest first, and each case's history behind a button."""

from __future__ import annotations

from datetime import timedelta

from sandbox.client import SandboxClient
from services.clock import ManualClock
from tests.e2e.conftest import RunningBot
from tests.e2e.test_report_flow import INSIDE, OUTSIDE, report, seed_city

ZH = {
    "where": "问题在哪里？",
    "note": "可以给网格员留一句简短说明",
    "check": "请核对",
    "skip": "跳过",
    "submit": "✅ 提交",
    "done": "#",
}


async def test_my_lists_nothing_for_a_newcomer(bot: RunningBot, client: SandboxClient) -> None:
    anna = await client.create_user(first_name="Anna", language_code="en")
    await client.send_command(anna, "/my")
    reply = await client.wait_for_message(anna.chat_id)
    assert reply.text == "You have not reported anything yet. Send me a photo of a problem."


async def test_my_lists_cases_newest_first_with_status_unit_and_deadline(
    bot: RunningBot, client: SandboxClient, clock: ManualClock
) -> None:
    await seed_city(bot)
    li = await client.create_user(first_name="李雷", language_code="zh-hans")
    await report(client, li, category="暴露垃圾", labels=ZH)
    clock.advance(timedelta(minutes=30))
    await report(client, li, category="其他", where=OUTSIDE, labels=ZH)
    await client.send_command(li, "/my")
    listing = await client.wait_for_message(li.chat_id)
    assert listing.text == (
        "您的上报（最新在前）：\n\n"
        "#2 · 2026-11-16 10:30 · 其他\n"
        "   待派遣\n"
        "#1 · 2026-11-16 10:00 · 暴露垃圾\n"
        "   已派遣 · 东华门网格一 · 时限 2026-11-16 16:00"
    )
    assert listing.button_texts == ["#2 处理记录", "#1 处理记录"]
    await client.press(li, listing, "#1 处理记录")
    history = await client.wait_for_message(li.chat_id, "处理记录：")
    assert history.text == (
        "案件 #1：暴露垃圾\n"
        "地点：39.91000, 116.40000\n"
        "状态：已派遣\n"
        "所属网格：东华门网格一\n"
        "处置时限：2026-11-16 16:00\n\n"
        "处理记录：\n"
        "2026-11-16 10:00 — 已上报\n"
        "2026-11-16 10:00 — 已派遣"
    )


async def test_a_duplicate_shows_the_case_it_joined(bot: RunningBot, client: SandboxClient) -> None:
    await seed_city(bot)
    anna = await client.create_user(first_name="Anna", language_code="en")
    bob = await client.create_user(first_name="Bob", language_code="en")
    await report(client, anna, category="Exposed litter")
    await report(
        client,
        bob,
        category="Exposed litter",
        where=(INSIDE[0] + 0.0001, INSIDE[1]),
        labels={"done": "already reported"},
    )
    await client.send_command(bob, "/my")
    listing = await client.wait_for_message(bob.chat_id)
    assert listing.text.splitlines()[2:] == ["#2 · 2026-11-16 10:00 · Exposed litter", "   Already reported as #1"]
    await client.press(bob, listing, "#2 history")
    history = await client.wait_for_message(bob.chat_id, "History:")
    assert history.text.endswith("2026-11-16 10:00 — submitted\n2026-11-16 10:00 — duplicate")


async def test_my_shows_only_the_users_own_reports(bot: RunningBot, client: SandboxClient) -> None:
    await seed_city(bot)
    anna = await client.create_user(first_name="Anna", language_code="en")
    bob = await client.create_user(first_name="Bob", language_code="en")
    await report(client, anna, category="Other")
    await client.send_command(bob, "/my")
    assert (await client.wait_for_message(bob.chat_id)).text.startswith("You have not reported anything yet.")


async def test_help_lists_report_my_and_cancel(bot: RunningBot, client: SandboxClient) -> None:
    li = await client.create_user(first_name="李雷", language_code="zh")
    await client.send_command(li, "/help")
    lines = (await client.wait_for_message(li.chat_id)).text.splitlines()
    assert "/report — 随手拍上报问题：照片、类别、位置" in lines
    assert "/my — 我的上报及处理进展" in lines
    assert "/cancel — 取消当前操作（不会提交任何内容）" in lines
