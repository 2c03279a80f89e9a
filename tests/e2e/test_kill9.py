"""A real `citybot run` process killed with SIGKILL in the middle of a report: the restarted process continues it."""

from __future__ import annotations

import asyncio
import signal
import sys
from pathlib import Path

from sqlalchemy import func, select

from models.cases import Case, Photo
from models.db import Database
from models.migrate import upgrade
from models.uow import UnitOfWork
from sandbox.client import SandboxClient
from sandbox.server import SandboxServer
from tests.e2e.conftest import process_env
from tests.e2e.test_report_flow import INSIDE, jpeg


async def start_bot(sandbox: SandboxServer, tmp_path: Path, url: str) -> asyncio.subprocess.Process:
    """`citybot run` in its own process, pointed at the sandbox."""
    env = process_env(sandbox, url, tmp_path / "data")
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "run", env=env, cwd=tmp_path,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip


async def test_sigkill_mid_draft_then_restart_continues_the_report(
    sandbox: SandboxServer, client: SandboxClient, tmp_path: Path
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'city.db'}"
    await upgrade(url)
    anna = await client.create_user(first_name="Anna", language_code="en")
    process = await start_bot(sandbox, tmp_path, url)
    try:
        await client.send_photo(anna, jpeg())
        picker = await client.wait_for_message(anna.chat_id, "What kind of problem is it?", timeout=30)
        await client.press(anna, picker, "Exposed litter")
        await client.wait_for_message(anna.chat_id, "Where is it?", timeout=15)
    finally:
        process.send_signal(signal.SIGKILL)
        await process.wait()

    await client.send_location(anna, *INSIDE)  # arrives while no bot is running
    process = await start_bot(sandbox, tmp_path, url)
    try:
        question = await client.wait_for_message(anna.chat_id, "Add a short note", timeout=60)
        await client.press(anna, question, "Skip")
        summary = await client.wait_for_message(anna.chat_id, "Please check", timeout=15)
        assert "Category: Exposed litter" in summary.text and "Photos: 1" in summary.text
        await client.press(anna, summary, "Submit")
        await client.wait_for_edit(anna.chat_id, "#1", timeout=15)
    finally:
        process.send_signal(signal.SIGTERM)
        await process.wait()

    db = Database(url)
    try:
        async with UnitOfWork(db) as uow:
            case = await uow.session.scalar(select(Case))
            photos = await uow.session.scalar(select(func.count()).select_from(Photo).where(Photo.case_id == 1))
    finally:
        await db.dispose()
    assert case is not None and case.category == "0102"
    assert (case.lat, case.lon) == INSIDE
    assert photos == 1
