"""What a person does in the web chat, as the browser tests drive it."""

from __future__ import annotations

from typing import Any

WAIT_MS = 20_000


async def press(page: Any, label: str, containing: str | None = None) -> None:
    """Press the inline button `label` on the newest bot message that has it (and contains `containing`)."""
    messages = page.locator(".msg.in", has_text=containing) if containing else page.locator(".msg.in")
    await messages.locator(".inline-keyboard button", has_text=label).last.click()


async def bot_said_more(page: Any, action: Any) -> None:
    """Run `action` and wait until a new bot message appears in the open chat."""
    before = await page.locator(".msg.in").count()
    await action()
    await page.wait_for_function(f"document.querySelectorAll('.msg.in').length > {before}")


async def send_sample(page: Any, name: str) -> None:
    """Send one of the sample photos."""
    await page.click("#attach-button")
    await page.click(f"[data-sample={name}]")
    await page.click("#picker-send")


async def switch(page: Any, key: str) -> None:
    """Open the chat of the persona `key`."""
    await page.click(f"[data-persona={key}]")
    await page.wait_for_selector(f"[data-persona={key}].active")


async def send_text(page: Any, text: str) -> None:
    """Type `text` in the composer and send it."""
    await page.fill("#text-input", text)
    await page.press("#text-input", "Enter")
