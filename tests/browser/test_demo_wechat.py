"""WeChat in the web chat: 刘阿姨 reports from the city's Official Account (the offline WeChat), the report reaches
the Telegram grid officer, and the officer's acceptance comes back to her on WeChat."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from bot.demo import Demo
from bot.demo_people import WECHAT_OPENID
from models.cases import Case
from models.status import CaseStatus
from tests.browser.web import latest_case, press, send_sample, switch, wait_status

pytestmark = pytest.mark.browser
README_SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "screenshot-wechat.png"


async def _account_said_more(page: Any, action: Any) -> None:
    """Run `action` and wait until the account's answer appears in the WeChat chat."""
    before = await page.locator(".wx-msg.in").count()
    await action()
    await page.wait_for_function(f"document.querySelectorAll('.wx-msg.in').length > {before}")


async def _choose(page: Any, label: str) -> None:
    """Tap an option of the newest menu message that offers it."""
    await _account_said_more(page, lambda: page.locator(".wx-menu-item", has_text=label).last.click())


async def _wechat_case(demo: Demo) -> Case | None:
    return await latest_case(demo, "wechat", WECHAT_OPENID)


async def test_a_wechat_report_reaches_the_telegram_officer(demo: Demo, page: Any, tmp_path: Path) -> None:
    await switch(page, "wechat")
    assert await page.locator("#chat.wechat").count() == 1
    assert await page.inner_text("#chat-header .title") == "城市随手拍"
    assert await page.locator("#command-chips button").count() == 0  # WeChat has no bot commands
    menu = await page.locator("#wechat-menu button").all_inner_texts()
    assert menu == ["📷 随手拍", "我的上报", "帮助"]

    # The account's menu, a photo, the category from the menu message, the spot on the map, no note, submit.
    await _account_said_more(page, lambda: page.locator("#wechat-menu button[data-menu-key=REPORT]").click())
    await _account_said_more(page, lambda: send_sample(page, "posters"))
    await page.locator(".wx-msg.out img.wx-photo").last.wait_for()
    await _choose(page, "非法小广告")
    await page.click("#location-button")
    await page.click('#map-wrap .unit[data-id="DC-DS-DB-03"]')
    await _account_said_more(page, lambda: page.click("#map-popup-send"))
    await page.locator(".wx-msg.out .wx-bubble.location", has_text="东四街道-豆瓣社区-03网格").wait_for()
    await _choose(page, "跳过")
    await _choose(page, "提交")
    case = await _wechat_case(demo)
    assert case is not None and case.unit_id == "DC-DS-DB-03" and case.category == "0201"
    number = f"#{case.id}"
    await page.locator(".wx-msg.in", has_text=number).last.wait_for()

    # 网格员 李建国, on Telegram, gets the case card with the WeChat photo and accepts it.
    await switch(page, "officer")
    card = page.locator(".msg.in", has_text=number).last
    await card.wait_for()
    await press(page, "接单", containing=number)
    await wait_status(demo, case.id, CaseStatus.ACCEPTED)
    assert await page.locator(".msg.in img.photo").count() >= 1

    # Back on WeChat, 刘阿姨 is told that her case is being handled.
    await switch(page, "wechat")
    told = page.locator(".wx-msg.in", has_text=number).filter(has_text="已由网格员接单").last
    await told.wait_for()
    assert await page.locator("[data-persona=wechat] .badge-wechat").count() == 1
    await page.wait_for_selector("#toast", state="hidden")
    target = README_SCREENSHOT if os.environ.get("CITYBOT_SCREENSHOT") else tmp_path / "screenshot-wechat.png"
    assert len(await page.screenshot(path=str(target))) > 50_000
