"""Browser fixtures: the demo as `make demo` runs it, and a page of its web chat in Debian's Chromium.

Chromium is never downloaded: the tests use ``CITYBOT_TEST_CHROMIUM`` or /usr/bin/chromium, and skip (fail in CI)
when neither exists.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.demo import Demo, start_demo, stop_demo
from tests.browser.web import WAIT_MS
from tests.conftest import require

CHROMIUM = Path(os.environ.get("CITYBOT_TEST_CHROMIUM") or "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip


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
    return CHROMIUM


@pytest.fixture
def page_query() -> str:
    """The page's query string (a test module overrides it to open another persona or language)."""
    return "lang=zh_CN&persona=citizen"


@pytest.fixture
async def page(chromium: Path, demo: Demo, page_query: str) -> AsyncIterator[Any]:
    """A Chromium page on the web chat, in Chinese, at a laptop's size."""
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
        try:
            tab = await browser.new_page(viewport={"width": 1440, "height": 900}, locale="zh-CN")
            errors: list[str] = []
            tab.on("pageerror", lambda error: errors.append(str(error)))
            tab.set_default_timeout(WAIT_MS)
            await tab.goto(f"{demo.url}/?{page_query}")
            await tab.wait_for_selector("body[data-ready=true]")
            yield tab
            assert errors == [], f"the page threw: {errors}"
        finally:
            await browser.close()
