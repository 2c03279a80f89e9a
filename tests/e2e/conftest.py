"""End-to-end fixtures: the real PTB Application polling the offline sandbox, and a client acting as people."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.app import build_application
from bot.settings import Settings
from models.db import Database
from models.migrate import upgrade
from sandbox.client import SandboxClient
from sandbox.server import SandboxServer
from services.clock import ManualClock
from services.context import Services
from tests.conftest import make_services

TOKEN = "123456:sandbox-test-token"


@pytest.fixture
async def sandbox() -> AsyncIterator[SandboxServer]:
    """The offline Bot API server on a free port."""
    async with SandboxServer() as server:
        yield server


@pytest.fixture
async def client(sandbox: SandboxServer) -> AsyncIterator[SandboxClient]:
    """Acts as users and reads chats, for the test bot."""
    async with SandboxClient(sandbox.url, bot=TOKEN) as sandbox_client:
        await sandbox_client.register_bot(TOKEN, username="citybot_test_bot", first_name="citybot")
        yield sandbox_client


def bot_settings(sandbox: SandboxServer, db_path: Path, data_dir: Path) -> Settings:
    """Settings that point the bot at the sandbox and a database file."""
    return Settings.offline(sandbox.url, TOKEN, f"sqlite+aiosqlite:///{db_path}", data_dir)


class RunningBot:
    """The bot as deployed: a PTB Application over its own database, started, stopped and restarted at will."""

    def __init__(
        self, sandbox: SandboxServer, tmp_path: Path, clock: ManualClock, jobs: bool, limiter: Any = None
    ) -> None:
        self.settings = bot_settings(sandbox, tmp_path / "citybot.db", tmp_path / "data")
        self.clock = clock
        self.jobs = jobs
        self.limiter = limiter
        self.app: Any = None
        self.db: Database | None = None
        self.services: Services | None = None
        self._tmp = tmp_path

    async def start(self) -> RunningBot:
        """Migrate, build and start polling."""
        await upgrade(self.settings.database_url)
        self.db = Database(self.settings.database_url)
        self.services = make_services(self.db, self.clock, self._tmp)
        self.app = build_application(self.settings, self.services, jobs=self.jobs, limiter=self.limiter)
        await self.app.initialize()
        if self.app.post_init:
            await self.app.post_init(self.app)
        await self.app.start()
        await self.app.updater.start_polling(poll_interval=0, timeout=1)
        return self

    async def stop(self) -> None:
        """Stop polling and close the database, as a clean shutdown would."""
        if self.app is None:
            return
        if self.app.updater.running:
            await self.app.updater.stop()
        if self.app.running:
            await self.app.stop()
        await self.app.shutdown()
        assert self.db is not None
        await self.db.dispose()
        self.app = None

    async def kill(self) -> None:
        """Drop the process's memory without any goodbye, as kill -9 would: only the database survives."""
        if self.app is None:
            return
        await self.app.updater.stop()  # stop fetching; nothing is flushed or saved
        await self.app.stop()
        self.app = None
        assert self.db is not None
        await self.db.dispose()

    async def restart(self) -> RunningBot:
        """Start again on the same database."""
        return await self.start()


@pytest.fixture
async def bot(
    sandbox: SandboxServer, client: SandboxClient, tmp_path: Path, clock: ManualClock
) -> AsyncIterator[RunningBot]:
    """The real bot (handlers only, jobs off: tests drive jobs explicitly) polling the sandbox."""
    running = await RunningBot(sandbox, tmp_path, clock, jobs=False).start()
    try:
        yield running
    finally:
        await running.stop()


def process_env(sandbox: SandboxServer, database_url: str, data_dir: Path) -> dict[str, str]:
    """The environment of a `citybot` process pointed at the sandbox and a database."""
    env = dict(os.environ)
    env.update(
        CITYBOT_TELEGRAM_TOKEN=TOKEN,
        CITYBOT_TELEGRAM_BASE_URL=sandbox.base_url,
        CITYBOT_TELEGRAM_BASE_FILE_URL=sandbox.base_file_url,
        CITYBOT_DATABASE_URL=database_url,
        CITYBOT_DATA_DIR=str(data_dir),
    )
    return env
