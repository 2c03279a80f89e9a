"""The whole loop in the web chat, driven in Debian's Chromium: report → handle → confirm → weekly summary.

It also takes the README's screenshot (docs/screenshot.png). The browser fixtures are in conftest.py.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from bot.demo import Demo
from bot.demo_people import persona
from models.cases import Case
from models.status import CaseStatus
from tests.browser.web import WAIT_MS, latest_case, wait_status
from tests.browser.web import bot_said_more as _bot_said_more
from tests.browser.web import press as _press
from tests.browser.web import send_sample as _send_sample
from tests.browser.web import switch as _switch

# `make screenshot` refreshes the README's picture; an ordinary run keeps its screenshot in the test's tmp dir.
README_SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "screenshot.png"

pytestmark = pytest.mark.browser


async def _citizen_case(demo: Demo) -> Case | None:
    return await latest_case(demo, "telegram", str(persona("citizen").telegram_id))


async def test_report_handle_confirm_and_weekly_summary_in_the_browser(demo: Demo, page: Any, tmp_path: Path) -> None:
    seeded = await _citizen_case(demo)

    # 市民 reports: a sample photo, the category, the spot clicked on the grid map, no note, submit.
    await _bot_said_more(page, lambda: _send_sample(page, "posters"))
    await _press(page, "非法小广告")
    await page.locator("#reply-keyboard button", has_text="发送我的位置").click()
    assert await page.locator("#map-panel.picking").count() == 1
    await page.click('#map-wrap .unit[data-id="DC-DS-DB-03"]')
    assert await page.inner_text("#map-popup-name") == "东四街道-豆瓣社区-03网格"
    await _bot_said_more(page, lambda: page.click("#map-popup-send"))
    await page.locator(".location-card", has_text="豆瓣社区-03网格").wait_for()
    await _press(page, "跳过")
    await _press(page, "提交")
    await page.locator(".msg.in", has_text="东四街道-豆瓣社区-03网格").last.wait_for()
    case = await _citizen_case(demo)
    assert case is not None and (seeded is None or case.id != seeded.id)
    number = f"#{case.id}"
    assert case.unit_id == "DC-DS-DB-03"
    await page.locator(".msg.in", has_text=number).last.wait_for()

    # 网格员 李建国 gets the case on the card, accepts it, resolves it with an after-photo.
    await _switch(page, "officer")
    await _press(page, "接单", containing=number)
    await wait_status(demo, case.id, CaseStatus.ACCEPTED)
    await _bot_said_more(page, lambda: _press(page, "处置完成", containing=number))
    await _bot_said_more(page, lambda: _send_sample(page, "clean_wall"))
    await page.fill("#text-input", "/skip")
    await page.press("#text-input", "Enter")
    await wait_status(demo, case.id, CaseStatus.RESOLVED)

    # 市民 sees the before/after photos and confirms the fix.
    await _switch(page, "citizen")
    await page.locator(".msg.in .album img").last.wait_for()
    await _press(page, "已解决", containing=number)
    await wait_status(demo, case.id, CaseStatus.CLOSED)
    await page.locator(".msg.in", has_text=number).last.wait_for()

    # The clock jumps to Monday 09:00: the channel receives the week's summary with its chart.
    await page.click("[data-step=monday]")
    week = await page.wait_for_function(
        "document.getElementById('clock-status').dataset.summaryWeek || null", timeout=WAIT_MS
    )
    week_text = await week.json_value()
    assert "09:00" in await page.inner_text("#clock-now")
    await _switch(page, "channel")
    summary = page.locator(".msg.in", has_text=week_text).last
    chart = summary.locator("img.photo")
    await chart.wait_for()
    await page.wait_for_function(
        "[...document.querySelectorAll('.msg.in img.photo')].every(img => img.complete && img.naturalWidth > 0)"
    )
    assert await chart.evaluate("img => img.naturalWidth") > 400
    assert "城市管理周通报" in await summary.inner_text()
    assert await page.locator("#composer-area").is_hidden()

    # The README's screenshot: the citizen's side of the loop, with the unit under the cursor named on the map.
    await _switch(page, "citizen")
    await page.hover('#map-wrap .unit[data-id="DC-DS-DB-03"]')
    assert await page.inner_text("#map-hover") == "东四街道-豆瓣社区-03网格"
    await page.wait_for_selector("#toast", state="hidden")
    await page.evaluate("document.fonts.ready.then(() => true)")
    target = README_SCREENSHOT if os.environ.get("CITYBOT_SCREENSHOT") else tmp_path / "screenshot.png"
    image = await page.screenshot(path=str(target))
    assert len(image) > 50_000
