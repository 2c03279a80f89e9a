"""The whole loop in the web chat, driven in Debian's Chromium: report → handle → confirm → weekly summary.

It also takes the README's screenshot (docs/screenshot.png). Chromium is never downloaded: the test uses
``CITYBOT_TEST_CHROMIUM`` or /usr/bin/chromium, and skips (fails in CI) when neither exists.
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.demo import Demo, start_demo, stop_demo
from bot.demo_people import persona
from models.cases import Case
from models.identities import UserIdentity
from models.status import CaseStatus
from models.uow import UnitOfWork
from tests.conftest import require

CHROMIUM = Path(os.environ.get("CITYBOT_TEST_CHROMIUM") or "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
# `make screenshot` refreshes the README's picture; an ordinary run keeps its screenshot in the test's tmp dir.
README_SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "screenshot.png"
WAIT_MS = 20_000

pytestmark = pytest.mark.browser


@pytest.fixture
async def demo(tmp_path: Path) -> AsyncIterator[Demo]:
    """The demo as `make demo` runs it (jobs on), on a free port."""
    running = await start_demo(tmp_path / "demo", port=0)
    try:
        yield running
    finally:
        await stop_demo(running)


@pytest.fixture
def chromium() -> Path:
    """Debian's Chromium (never a downloaded one)."""
    require(CHROMIUM.exists(), f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    require(importlib.util.find_spec("playwright") is not None, "the playwright package is not installed")
    README_SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    return CHROMIUM


@pytest.fixture
async def page(chromium: Path, demo: Demo) -> AsyncIterator[Any]:
    """A Chromium page on the web chat, in Chinese, at a laptop's size."""
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
        try:
            tab = await browser.new_page(viewport={"width": 1440, "height": 900}, locale="zh-CN")
            errors: list[str] = []
            tab.on("pageerror", lambda error: errors.append(str(error)))
            tab.set_default_timeout(WAIT_MS)
            await tab.goto(f"{demo.url}/?lang=zh_CN&persona=citizen")
            await tab.wait_for_selector("body[data-ready=true]")
            yield tab
            assert errors == [], f"the page threw: {errors}"
        finally:
            await browser.close()


async def _press(page: Any, label: str, containing: str | None = None) -> None:
    """Press the inline button `label` on the newest bot message that has it (and contains `containing`)."""
    messages = page.locator(".msg.in", has_text=containing) if containing else page.locator(".msg.in")
    await messages.locator(".inline-keyboard button", has_text=label).last.click()


async def _bot_said_more(page: Any, action: Any) -> None:
    """Run `action` and wait until a new bot message appears in the open chat."""
    before = await page.locator(".msg.in").count()
    await action()
    await page.wait_for_function(f"document.querySelectorAll('.msg.in').length > {before}")


async def _send_sample(page: Any, name: str) -> None:
    await page.click("#attach-button")
    await page.click(f"[data-sample={name}]")
    await page.click("#picker-send")


async def _switch(page: Any, key: str) -> None:
    await page.click(f"[data-persona={key}]")
    await page.wait_for_selector(f"[data-persona={key}].active")


async def _citizen_case(demo: Demo) -> Case | None:
    citizen = persona("citizen").telegram_id
    async with UnitOfWork(demo.services.db) as uow:
        query = (
            select(Case)
            .join(UserIdentity, UserIdentity.user_id == Case.reporter_id)
            .where(UserIdentity.channel == "telegram", UserIdentity.external_id == str(citizen))
        )
        return await uow.session.scalar(query.order_by(Case.id.desc()).limit(1))


async def _wait_status(demo: Demo, case_id: int, status: CaseStatus) -> None:
    for _ in range(100):
        async with UnitOfWork(demo.services.db) as uow:
            if await uow.session.scalar(select(Case.status).where(Case.id == case_id)) == status:
                return
        await asyncio.sleep(0.2)
    raise AssertionError(f"case {case_id} never became {status}")


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
    await _wait_status(demo, case.id, CaseStatus.ACCEPTED)
    await _bot_said_more(page, lambda: _press(page, "处置完成", containing=number))
    await _bot_said_more(page, lambda: _send_sample(page, "clean_wall"))
    await page.fill("#text-input", "/skip")
    await page.press("#text-input", "Enter")
    await _wait_status(demo, case.id, CaseStatus.RESOLVED)

    # 市民 sees the before/after photos and confirms the fix.
    await _switch(page, "citizen")
    await page.locator(".msg.in .album img").last.wait_for()
    await _press(page, "已解决", containing=number)
    await _wait_status(demo, case.id, CaseStatus.CLOSED)
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
