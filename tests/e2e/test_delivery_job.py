"""The sender runs on its own inside the deployed bot, and once from the command line."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from sqlalchemy import select

from models.db import Database
from models.migrate import upgrade
from models.outbox import DeliveryStatus, OutboxMessage
from models.uow import UnitOfWork
from sandbox.client import SandboxClient
from sandbox.server import SandboxServer
from services.clock import ManualClock
from tests.conftest import make_services
from tests.e2e.conftest import TOKEN, RunningBot
from tests.world import queue_text


async def test_the_running_bot_delivers_queued_notifications_by_itself(
    sandbox: SandboxServer, client: SandboxClient, tmp_path: Path, clock: ManualClock
) -> None:
    person = await client.create_user(first_name="Li")
    running = await RunningBot(sandbox, tmp_path, clock, jobs=True).start()
    try:
        assert running.services is not None
        async with UnitOfWork(running.services.db) as uow:
            await queue_text(uow.session, person.id, "queued while running", kind="t", now=clock.now())
            await uow.commit()
        arrived = await client.wait_for_message(person.chat_id, "queued while running", timeout=10)
        assert arrived.from_bot
    finally:
        await running.stop()


async def test_citybot_jobs_run_outbox_delivers_once_and_exits(
    sandbox: SandboxServer, client: SandboxClient, tmp_path: Path, clock: ManualClock
) -> None:
    person = await client.create_user(first_name="Li")
    url = f"sqlite+aiosqlite:///{tmp_path / 'citybot.db'}"
    await upgrade(url)
    db = Database(url)
    services = make_services(db, clock, tmp_path)
    async with UnitOfWork(db) as uow:
        for n in range(3):
            await queue_text(uow.session, person.id, f"from cron {n}", kind="t", now=clock.now())
        await uow.commit()
    env = os.environ | {
        "CITYBOT_TELEGRAM_TOKEN": TOKEN,
        "CITYBOT_TELEGRAM_BASE_URL": sandbox.base_url,
        "CITYBOT_TELEGRAM_BASE_FILE_URL": sandbox.base_file_url,
        "CITYBOT_DATABASE_URL": url,
        "CITYBOT_DATA_DIR": str(tmp_path / "data"),
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        "from bot.cli import main; main()",
        "jobs",
        "run",
        "outbox",
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0, err.decode()
    assert out.decode().strip() == "outbox: 3 message(s) delivered"
    texts = [m.text for m in await client.bot_messages(person.chat_id)]
    assert texts == ["from cron 0", "from cron 1", "from cron 2"]
    async with UnitOfWork(db) as uow:
        rows = list(await uow.session.scalars(select(OutboxMessage)))
    assert {r.status for r in rows} == {DeliveryStatus.SENT}
    await services.db.dispose()


async def test_a_local_chart_is_uploaded_once_and_then_sent_by_file_id(
    bot: RunningBot, client: SandboxClient, tmp_path: Path, clock: ManualClock
) -> None:
    from io import BytesIO

    from PIL import Image

    from channels.telegram import CHANNEL as TELEGRAM
    from services.delivery import deliver_due
    from services.messages import Message, PhotoRef, Text
    from services.outbox import Contact, enqueue

    chart = tmp_path / "chart.png"
    buffer = BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(buffer, "PNG")
    chart.write_bytes(buffer.getvalue())
    readers = [await client.create_user(first_name=f"Reader {n}") for n in range(3)]
    assert bot.services is not None
    async with UnitOfWork(bot.services.db) as uow:
        for reader in readers:
            chart_message = Message(lines=(Text.raw("weekly chart"),), photos=(PhotoRef(path=str(chart)),))
            await enqueue(
                uow.session,
                to=Contact(TELEGRAM, str(reader.id)),
                message=chart_message,
                kind="summary",
                now=clock.now(),
            )
        await uow.commit()
    assert await deliver_due(bot.services) == 3
    received = [await client.wait_for_message(reader.chat_id, "weekly chart") for reader in readers]
    assert len({message.file_id for message in received}) == 1  # one upload, then the same file for everyone
    assert await client.download(received[0].file_id) == chart.read_bytes()
