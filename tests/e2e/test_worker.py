"""`citybot worker`: a jobs-only process delivers the outbox without polling for updates."""

from __future__ import annotations

import signal
from pathlib import Path

from models.db import Database
from models.migrate import upgrade
from models.uow import UnitOfWork
from sandbox.client import SandboxClient
from sandbox.server import SandboxServer
from services.clock import SystemClock
from tests.e2e.conftest import process_env
from tests.processes import citybot
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
    async with citybot("worker", env=env, cwd=tmp_path, stop_with=signal.SIGINT, stop_within=15):
        message = await client.wait_for_message(citizen.chat_id, "closed", timeout=30)
        assert message.text == "Your report #5 was closed."
