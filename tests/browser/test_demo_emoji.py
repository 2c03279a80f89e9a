"""The web chat draws the bot's emoji on a machine without an emoji font: Chromium here sees only DejaVu."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from bot.demo import Demo
from tests.browser.conftest import CHROMIUM_ARGS
from tests.browser.web import WAIT_MS, send_sample, switch

pytestmark = pytest.mark.browser
EMOJI = "📷 📍 ✅ 🔔"
#: A font configuration with the plain text fonts only, as on a server or a minimal desktop.
FONTS_CONF = """<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "fonts.dtd">
<fontconfig><dir>/usr/share/fonts/truetype/dejavu</dir><cachedir>{cache}</cachedir></fontconfig>
"""


@pytest.fixture
async def bare_page(chromium: Path, demo: Demo, tmp_path: Path) -> AsyncIterator[Any]:
    """The web chat in a Chromium whose only fonts are DejaVu (no emoji, no CJK font of the system)."""
    from playwright.async_api import async_playwright

    conf = tmp_path / "fonts.conf"
    conf.write_text(FONTS_CONF.format(cache=tmp_path / "fontcache"), encoding="utf-8")
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(chromium), args=CHROMIUM_ARGS, env={"FONTCONFIG_FILE": str(conf), "HOME": str(tmp_path)}
        )
        try:
            tab = await browser.new_page(viewport={"width": 1440, "height": 900}, locale="en-GB")
            tab.set_default_timeout(WAIT_MS)
            await tab.goto(f"{demo.url}/?lang=en&persona=volunteer")
            await tab.wait_for_selector("body[data-ready=true]")
            yield tab
        finally:
            await browser.close()


async def _coloured_pixels(page: Any, font: str) -> int:
    """How many clearly coloured pixels the four emoji make in ``font`` (a missing glyph's box has none)."""
    await page.evaluate(
        """([text, font]) => {
          const node = document.createElement('div');
          node.id = 'emoji-probe';
          node.textContent = text;
          node.style.cssText = `position:fixed;left:0;top:0;z-index:99;background:#fff;color:#000;font:48px ${font}`;
          document.getElementById('emoji-probe')?.remove();
          document.body.append(node);
        }""",
        [EMOJI, font],
    )
    shot = await page.locator("#emoji-probe").screenshot()
    image = Image.open(io.BytesIO(shot)).convert("HSV")
    saturation, value = image.getchannel("S").tobytes(), image.getchannel("V").tobytes()
    return sum(1 for s, v in zip(saturation, value, strict=True) if s > 100 and v > 60)


async def test_emoji_render_from_the_demos_own_font(bare_page: Any, tmp_path: Path) -> None:
    page = bare_page
    # The machine as Chromium sees it has no emoji font: the glyphs of a plain stack are empty boxes.
    assert await _coloured_pixels(page, "'DejaVu Sans', sans-serif") < 50
    # The page's own stack draws them in colour.
    assert await _coloured_pixels(page, "var(--font)") > 2000
    await page.evaluate("document.getElementById('emoji-probe').remove()")

    # And in the bot's messages: "📷 Got it" after a photo.
    await switch(page, "volunteer")
    await send_sample(page, "litter")
    question = page.locator(".msg.in", has_text="📷").last
    await question.wait_for()
    family = await question.evaluate("node => getComputedStyle(node).fontFamily")
    assert family.split(",")[0].strip(" '\"") == "DemoEmoji"
    assert await page.evaluate("document.fonts.check('16px DemoEmoji', '📷')")
    assert await page.evaluate("[...document.fonts].some(f => f.family.includes('DemoEmoji') && f.status === 'loaded')")
    await page.screenshot(path=str(tmp_path / "emoji.png"))
