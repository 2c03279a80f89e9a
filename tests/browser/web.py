"""What a person does in the web chat, as the browser tests drive it, and what the demo stored from it."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import select

from bot.demo import Demo
from models.cases import Case
from models.identities import UserIdentity
from models.status import CaseStatus
from models.uow import UnitOfWork

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


async def latest_case(demo: Demo, channel: str, external_id: str) -> Case | None:
    """The newest case reported by the person known on `channel` as `external_id`."""
    async with UnitOfWork(demo.services.db) as uow:
        query = (
            select(Case)
            .join(UserIdentity, UserIdentity.user_id == Case.reporter_id)
            .where(UserIdentity.channel == channel, UserIdentity.external_id == external_id)
        )
        return await uow.session.scalar(query.order_by(Case.id.desc()).limit(1))


async def wait_status(demo: Demo, case_id: int, status: CaseStatus) -> None:
    """Wait (up to 20 s) until the stored case has `status`."""
    for _ in range(100):
        async with UnitOfWork(demo.services.db) as uow:
            if await uow.session.scalar(select(Case.status).where(Case.id == case_id)) == status:
                return
        await asyncio.sleep(0.2)
    raise AssertionError(f"case {case_id} never became {status}")
