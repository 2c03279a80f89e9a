"""`citybot run` in webhook mode, as a real process against the sandbox: only requests with the secret count."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
from sqlalchemy import select

from models.cases import Case
from models.db import Database
from models.grid import BindingRole
from models.migrate import upgrade
from models.status import CaseStatus, transition
from models.uow import UnitOfWork
from sandbox.client import SandboxClient
from sandbox.server import SandboxServer
from sandbox.webhooks import SECRET_HEADER
from services.clock import SystemClock
from services.config import load_config
from services.context import Services
from tests.e2e.conftest import TOKEN, process_env
from tests.processes import citybot
from tests.world import build, free_port

SECRET = "Wq7-test_secret-0123456789"


async def seed(url: str, supervisor_telegram_id: int) -> None:
    """Community C-1 with grid G-1, its supervisor, and case #1 dispatched to G-1."""
    db = Database(url)
    try:
        services = Services.build(db, load_config(), SystemClock(), "Asia/Shanghai", Path("unused"))
        async with build(services) as city:
            await city.downtown("G-1")
            await city.staff(supervisor_telegram_id, "Boss", "C-1", BindingRole.SUPERVISOR)
            citizen = await city.person(555, "Citizen")
            now = city.now
            case = Case(reporter_id=citizen.id, category="0201", lat=39.91, lon=116.40, reported_at=now,
                        unit_id="G-1", chain="G-1>C-1", due_at=now + timedelta(days=1))  # fmt: skip
            city.session.add(case)
            await city.session.flush()
            transition(case, CaseStatus.DISPATCHED, at=now, actor_id=None, action="dispatch")
    finally:
        await db.dispose()


async def case_status(url: str) -> str:
    db = Database(url)
    try:
        async with UnitOfWork(db) as uow:
            return str(await uow.session.scalar(select(Case.status).where(Case.id == 1)))
    finally:
        await db.dispose()


def forged_close(chat_id: int, first_name: str) -> dict[str, Any]:
    """What Telegram would post for `/close 1 ...` typed by the supervisor: anyone can write this JSON."""
    text = "/close 1 done by a stranger"
    message = {
        "message_id": 999,
        "date": 1_800_000_000,
        "chat": {"id": chat_id, "type": "private", "first_name": first_name},
        "from": {"id": chat_id, "is_bot": False, "first_name": first_name, "language_code": "en"},
        "text": text,
        "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
    }
    return {"update_id": 900_000_001, "message": message}


async def post(url: str, update: dict[str, Any], headers: dict[str, str]) -> int | None:
    """The HTTP status of posting ``update`` to the hook; None when nothing listens there."""
    try:
        async with (
            aiohttp.ClientSession() as http,
            http.post(url, data=json.dumps(update), headers={"Content-Type": "application/json", **headers}) as resp,
        ):
            return resp.status
    except aiohttp.ClientConnectionError:
        return None


async def test_webhook_mode_answers_updates_with_the_secret_and_refuses_forged_ones(
    sandbox: SandboxServer, client: SandboxClient, tmp_path: Path
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'city.db'}"
    await upgrade(url)
    boss = await client.create_user(first_name="Boss", language_code="en")
    await seed(url, boss.id)
    port = free_port()
    hook = f"http://127.0.0.1:{port}/telegram/hook"
    env = process_env(sandbox, url, tmp_path / "data")
    env.update(CITYBOT_WEBHOOK_URL=hook, CITYBOT_WEBHOOK_LISTEN="127.0.0.1", CITYBOT_WEBHOOK_PORT=str(port),
               CITYBOT_WEBHOOK_SECRET=SECRET)  # fmt: skip
    async with citybot("run", "--no-jobs", env=env, cwd=tmp_path, stderr=False) as process:
        bot = sandbox.state.bot_for_token(TOKEN)
        for _ in range(300):  # PTB listens first, then registers the webhook
            if bot.webhook is not None or process.returncode is not None:
                break
            await asyncio.sleep(0.1)
        assert bot.webhook is not None, "citybot run did not register its webhook"
        assert (bot.webhook.url, bot.webhook.secret_token) == (hook, SECRET)

        # Through the sandbox, which posts with the secret as Telegram does: answered.
        await client.send_command(boss, "/case", "1")
        details = await client.wait_for_message(boss.chat_id, "Status:", timeout=30)
        assert "Status: dispatched" in details.text

        forged = forged_close(boss.id, "Boss")
        assert await post(hook, forged, {}) == 403
        assert await post(hook, forged, {SECRET_HEADER: "guessed-secret"}) == 403
        assert await case_status(url) == CaseStatus.DISPATCHED
        await client.send_command(boss, "/case", "1")
        again = await client.wait_for_message(boss.chat_id, "Status:", timeout=30)
        assert "Status: dispatched" in again.text
        assert "closed" not in " ".join(m.text for m in await client.bot_messages(boss.chat_id))

        # The same body with the secret is taken: the refusals above were the secret check, nothing else.
        assert await post(hook, forged, {SECRET_HEADER: SECRET}) == 200
        closed = await client.wait_for_message(boss.chat_id, "closed", timeout=30)
        assert closed.text == "Case #1 is closed (结案)."

        # A service manager's stop (SIGTERM) is a clean shutdown: the server stops taking updates, the process ends 0.
        assert await process.stop() == 0
        assert await post(hook, forged, {SECRET_HEADER: SECRET}) is None
