"""A bot that was down at Monday 09:00 sends the missed weekly report by itself when it starts, once."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest
from sqlalchemy import func, select

from channels.telegram import CHANNEL as TELEGRAM
from models.db import Database
from models.migrate import upgrade
from models.outbox import OutboxMessage
from models.uow import UnitOfWork
from sandbox.client import SandboxClient
from sandbox.server import SandboxServer
from services.clock import ManualClock
from services.outbox import Contact
from services.summary.subscriptions import subscribe
from tests.conftest import make_services
from tests.e2e.conftest import RunningBot
from tests.integration.summary_world import bj, build_world


async def catch_up_runs(caplog: pytest.LogCaptureFixture, count: int) -> list[str]:
    """Wait until the catch-up job has reported ``count`` times; return its reports."""
    for _ in range(300):
        found = [
            r.getMessage()
            for r in caplog.records
            if "weekly summary" in r.getMessage() and "catch-up" in r.getMessage()
        ]
        if len(found) >= count:
            return found
        await asyncio.sleep(0.05)
    raise TimeoutError("the catch-up job did not run")


async def test_the_missed_monday_report_arrives_after_start_and_not_again_after_a_restart(
    sandbox: SandboxServer,
    client: SandboxClient,
    tmp_path: Path,
    clock: ManualClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="scheduler.summary")
    reader = await client.create_user(first_name="李雷", language_code="zh-hans")
    url = f"sqlite+aiosqlite:///{tmp_path / 'citybot.db'}"
    await upgrade(url)
    db = Database(url)
    setup = make_services(db, clock, tmp_path)
    await build_world(setup)
    async with UnitOfWork(db) as uow:
        await subscribe(
            uow.session,
            contact=Contact(TELEGRAM, str(reader.chat_id)),
            unit_id=None,
            language="zh_CN",
            now=clock.now(),
        )
        await uow.commit()
    await db.dispose()

    clock.set(bj(23, 11))  # Monday 11:00: the bot was down at 09:00
    running = await RunningBot(sandbox, tmp_path, clock, jobs=True).start()
    try:
        report = await client.wait_for_message(reader.chat_id, "城市管理周通报 2026-W47", timeout=15)
        assert "受理 9（较上周 +7）" in report.text and "photo" in report.raw
        await running.stop()
        await running.restart()  # a second start finds the week already sent
        reports = await catch_up_runs(caplog, 2)
        assert "2026-W47 (catch-up): 1 recipients, 1 queued now" in reports[0]
        assert reports[1] == "weekly summary (catch-up): nothing to send"
        assert running.services is not None
        async with running.services.db.sessions() as session:
            queued = await session.scalar(select(func.count()).select_from(OutboxMessage))
        assert queued == 1
    finally:
        await running.stop()
