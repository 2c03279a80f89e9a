"""`citybot worker`: a jobs-only process delivers the outbox without polling for updates."""

from __future__ import annotations

import asyncio
import signal
import sys
from pathlib import Path

from models.db import Database
from models.migrate import upgrade
from models.uow import UnitOfWork
from sandbox.client import SandboxClient
from sandbox.server import SandboxServer
from services.clock import SystemClock
from tests.e2e.conftest import process_env
from tests.world import queue_text


async def test_worker_process_delivers_queued_notifications(
    sandbox: SandboxServer, client: SandboxClient, tmp_path: Path
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'city.db'}"
    await upgrade(url)
    citizen = await client.create_user(first_name="Anna", language_code="en")
    db = Database(url)
    async with UnitOfWork(db) as uow:
        await queue_text(
            uow.session,
            citizen.chat_id,
            "Your report #5 was closed.",
            kind="status",
            now=SystemClock().now(),
        )
        await uow.commit()
    await db.dispose()

    env = process_env(sandbox, url, tmp_path / "data")
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        "worker",
        env=env,
        cwd=tmp_path,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        message = await client.wait_for_message(citizen.chat_id, "closed", timeout=30)
        assert message.text == "Your report #5 was closed."
    finally:
        process.send_signal(signal.SIGINT)
        try:
            await asyncio.wait_for(process.wait(), 15)
        except TimeoutError:
            process.kill()
            await process.wait()
