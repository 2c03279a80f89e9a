"""Staff in the web chat: every command of the role reachable, /commands in messages clickable, and the
supervisor persona receiving the walkthrough's escalations with their choices (open, extend, reassign)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from bot.demo import Demo
from models.cases import Case
from models.uow import UnitOfWork
from tests.browser.web import bot_said_more, press, switch

pytestmark = pytest.mark.browser

#: Every chip lies inside the chip row, nothing hidden to its right or clipped below.
CHIPS_FIT = """() => {
  const box = document.getElementById('command-chips').getBoundingClientRect();
  return [...document.querySelectorAll('#command-chips button')].every((chip) => {
    const r = chip.getBoundingClientRect();
    return r.width > 0 && r.left >= box.left && r.right <= box.right + 0.5 && r.bottom <= box.bottom + 0.5;
  });
}"""


async def _chips(page: Any) -> list[str]:
    return [text.strip() for text in await page.locator("#command-chips button").all_inner_texts()]


async def test_each_role_sees_its_commands_and_none_is_cut_off(page: Any) -> None:
    await switch(page, "citizen")
    citizen = await _chips(page)
    assert "/my" in citizen and "/tasks" not in citizen and "/queue" not in citizen
    assert await page.evaluate(CHIPS_FIT)

    await switch(page, "officer")
    officer = await _chips(page)
    assert officer[:2] == ["/tasks", "/case"]  # the role's own commands first
    assert "/queue" not in officer and "/help" in officer
    assert await page.evaluate(CHIPS_FIT)

    await switch(page, "supervisor")
    supervisor = await _chips(page)
    assert {"/queue", "/case", "/assign", "/extend", "/reject", "/help", "/lang"} <= set(supervisor)
    assert await page.evaluate(CHIPS_FIT)
    # The whole row is visible: not one chip beyond the chat's own width.
    assert await page.evaluate("document.getElementById('command-chips').scrollWidth") <= await page.evaluate(
        "document.getElementById('command-chips').clientWidth"
    )
    # A command that needs a case number goes to the composer to be completed, not sent bare.
    await page.locator("#command-chips button[data-command=case]").click()
    assert await page.input_value("#text-input") == "/case "


async def test_commands_in_bot_messages_send_themselves(page: Any) -> None:
    await switch(page, "volunteer")
    await bot_said_more(page, lambda: page.locator("#command-chips button[data-command=help]").click())
    help_text = page.locator(".msg.in").last
    link = help_text.locator("a.command", has_text="/my").first
    await link.wait_for()
    await bot_said_more(page, link.click)
    assert (await page.locator(".msg.out").last.inner_text()).startswith("/my")


async def _overdue_open_cases(demo: Demo) -> list[int]:
    async with UnitOfWork(demo.services.db) as uow:
        query = select(Case.id).where(Case.due_at < demo.clock.now(), Case.status.in_(("dispatched", "accepted")))
        return list(await uow.session.scalars(query))


async def test_the_walkthroughs_escalations_reach_the_supervisor_with_their_choices(demo: Demo, page: Any) -> None:
    from playwright.async_api import TimeoutError as PlaywrightTimeout

    await switch(page, "supervisor")
    assert await page.locator(".msg.in").count() == 0

    # The clock moves on a day at a time: overdue cases of the officers' streets escalate, to 赵敏. (How many days
    # that takes depends on the weekday the demo starts on: deadlines count working hours.)
    notice = page.locator(".msg.in", has_text="🔔 督办").first
    for _ in range(4):
        async with page.expect_response(lambda response: response.url.endswith("/demo/api/clock")):
            await page.click("[data-step=day]")
        try:
            await notice.wait_for(timeout=6_000)
            break
        except PlaywrightTimeout:
            continue
    await notice.wait_for()
    text = await notice.inner_text()
    number = text.split("案件 ", 1)[1].split("（", 1)[0]
    assert number.startswith("#") and int(number[1:]) in await _overdue_open_cases(demo)
    buttons = await notice.locator(".inline-keyboard button").all_inner_texts()
    assert buttons == [f"📂 查看案件 {number}", "⏳ 延期 +4小时", "⏳ 延期 +1天", "↪️ 改派"]

    # "/case 75" in the notice is a link that sends the command with its number.
    link = notice.locator("a.command", has_text="/case")
    assert await link.get_attribute("data-command") == f"/case {number[1:]}"
    await link.click()
    details = page.locator(".msg.in", has_text=f"案件 {number}：").last
    await details.wait_for()
    assert "处理记录：" in await details.inner_text()
    assert await page.locator(".msg.out", has_text=f"/case {number[1:]}").count() == 1

    await press(page, "📂 查看案件", containing="督办（第")
    await page.wait_for_function(
        f"[...document.querySelectorAll('.msg.in')].filter(m => m.innerText.includes('案件 {number}：')).length >= 2"
    )
    await bot_said_more(page, lambda: notice.locator(".inline-keyboard button", has_text="延期 +4小时").click())
    await page.locator(".msg.in", has_text=f"案件 {number} 的新处置时限").last.wait_for()
    await bot_said_more(page, lambda: notice.locator(".inline-keyboard button", has_text="改派").click())
    question = page.locator(".msg.in", has_text=f"案件 {number} 改派到哪个单元").last
    await question.wait_for()
    assert await question.locator(".inline-keyboard button", has_text="派遣给").count() >= 1
