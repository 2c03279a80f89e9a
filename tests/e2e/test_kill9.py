"""A real `citybot run` process killed with SIGKILL in the middle of a report: the restarted process continues it."""

from __future__ import annotations

import signal
from contextlib import AbstractAsyncContextManager
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
from tests.processes import Running, citybot


def start_bot(
    sandbox: SandboxServer, tmp_path: Path, url: str, stop_with: signal.Signals
) -> AbstractAsyncContextManager[Running]:
    """`citybot run` in its own process, pointed at the sandbox, stopped with `stop_with`."""
    env = process_env(sandbox, url, tmp_path / "data")
    return citybot("run", env=env, cwd=tmp_path, stderr=False, stop_with=stop_with)


async def test_sigkill_mid_draft_then_restart_continues_the_report(
    sandbox: SandboxServer, client: SandboxClient, tmp_path: Path
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'city.db'}"
    await upgrade(url)
    anna = await client.create_user(first_name="Anna", language_code="en")
    async with start_bot(sandbox, tmp_path, url, signal.SIGKILL):
        await client.send_photo(anna, jpeg())
        picker = await client.wait_for_message(anna.chat_id, "What kind of problem is it?", timeout=30)
        await client.press(anna, picker, "Exposed litter")
        await client.wait_for_message(anna.chat_id, "Where is it?", timeout=15)

    await client.send_location(anna, *INSIDE)  # arrives while no bot is running
    async with start_bot(sandbox, tmp_path, url, signal.SIGTERM):
        question = await client.wait_for_message(anna.chat_id, "Add a short note", timeout=60)
        await client.press(anna, question, "Skip")
        summary = await client.wait_for_message(anna.chat_id, "Please check", timeout=15)
        assert "Category: Exposed litter" in summary.text and "Photos: 1" in summary.text
        await client.press(anna, summary, "Submit")
        await client.wait_for_edit(anna.chat_id, "#1", timeout=15)

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
