"""The deployed bot sweeps deadlines on its own JobQueue, at the injected clock's time, never the wall clock's."""

from __future__ import annotations

import asyncio
from pathlib import Path

from models.db import Database
from models.migrate import upgrade
from sandbox.client import SandboxClient
from sandbox.server import SandboxServer
from services.clock import ManualClock
from services.context import Services
from tests.conftest import make_services
from tests.e2e.conftest import RunningBot
from tests.integration.sla_world import beijing, build_world, dispatch_case, sla_messages


async def queued_sla_notices(services: Services) -> list[tuple[int, str, str]]:
    """The queued SLA notices as (chat, kind, text in the recipient's language), by chat."""
    return sorted(await sla_messages(services))


async def test_the_running_bot_sends_the_reminder_due_on_its_clock(
    sandbox: SandboxServer, client: SandboxClient, tmp_path: Path, clock: ManualClock
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'citybot.db'}"
    await upgrade(url)
    setup_db = Database(url)
    setup = make_services(setup_db, clock, tmp_path)
    case_id = await dispatch_case(setup, await build_world(setup), "0102", beijing(2026, 11, 16, 10))
    await setup_db.dispose()
    # The reminder is due at 15:00 on the bot's clock; by the wall clock the case would be days overdue.
    clock.set(beijing(2026, 11, 16, 15))
    running = await RunningBot(sandbox, tmp_path, clock, jobs=True).start()
    try:
        assert running.db is not None and running.services is not None
        notices: list[tuple[int, str, str]] = []
        for _ in range(100):
            notices = await queued_sla_notices(running.services)
            if notices:
                break
            await asyncio.sleep(0.1)
        await asyncio.sleep(0.3)  # nothing else should follow
        notices = await queued_sla_notices(running.services)
    finally:
        await running.stop()
    assert [(chat, kind) for chat, kind, _text in notices] == [(101, "sla_reminder"), (102, "sla_reminder")]
    assert notices[1][2].startswith(
        f"⏰ Reminder: case #{case_id} (Exposed litter, 多福巷01网格) is due at 2026-11-16 16:00"
    )
