"""What the reporter sees of a late case through the sandbox: the overdue mark in /my, and one escalation notice."""

from __future__ import annotations

from datetime import timedelta

from sandbox.client import SandboxClient
from services.clock import ManualClock
from services.delivery import deliver_due
from services.sla import sweep
from tests.e2e.conftest import RunningBot
from tests.e2e.test_my_cases import ZH
from tests.e2e.test_report_flow import report, seed_city


async def test_my_marks_a_case_past_its_deadline_and_the_escalation_is_told_once(
    bot: RunningBot, client: SandboxClient, clock: ManualClock
) -> None:
    await seed_city(bot)
    li = await client.create_user(first_name="李雷", language_code="zh-hans")
    await report(client, li, category="暴露垃圾", labels=ZH)  # Monday 10:00, due 16:00
    clock.advance(timedelta(hours=2))
    await client.send_command(li, "/my")
    before = await client.wait_for_message(li.chat_id)
    assert before.text.endswith("已派遣 · 东华门网格一 · 时限 2026-11-16 16:00")

    clock.advance(timedelta(days=7))  # Monday a week later, 12:00: the deadline is a week past
    await client.send_command(li, "/my")
    late = await client.wait_for_message(li.chat_id)
    assert late.text.endswith("已派遣 · 东华门网格一 · ⚠️ 时限 2026-11-16 16:00，已超期6天20小时")

    assert bot.services is not None
    for _ in range(2):  # a second sweep (or a sweep in another worker) tells nobody again
        await sweep(bot.services)
        await deliver_due(bot.services)
        clock.advance(timedelta(hours=1))
    news = [m.text for m in await client.bot_messages(li.chat_id) if m.text and "督办" in m.text]
    assert news == [
        "🔔 您上报的问题 #1（暴露垃圾，东华门网格一）未在处置时限 2026-11-16 16:00 前处理，已提请上级督办。"
        "处理后我们会通知您。\n发送 /my 查看您的上报。"
    ]
