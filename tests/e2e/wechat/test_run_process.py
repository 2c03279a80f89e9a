"""`citybot run` with only WeChat configured: a real process serves the callback and its jobs deliver WeChat rows."""

from __future__ import annotations

import asyncio
import os
import signal
from datetime import UTC, datetime
from pathlib import Path

from geo.crs import wgs84_to_gcj02
from models.db import Database
from models.migrate import upgrade
from models.uow import UnitOfWork
from sandbox.client import SandboxClient
from sandbox.server import SandboxServer
from sandbox.wechat import WeChatSandboxClient, WeChatSandboxServer
from services.clock import ManualClock
from services.officers import create_invite
from tests.conftest import make_services
from tests.e2e.conftest import process_env
from tests.e2e.wechat.conftest import AES_KEY, APP_ID, APP_SECRET, TOKEN
from tests.e2e.wechat.world import INSIDE, number_of, seed_city
from tests.integration.open311_world import free_port
from tests.processes import citybot

ROOT = Path(__file__).resolve().parents[3]


def wechat_env(server: WeChatSandboxServer, tmp_path: Path, port: int, *, safe: bool) -> dict[str, str]:
    """A WeChat-only deployment pointed at the sandbox: no Telegram token at all."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CITYBOT_")}
    env.update(
        PYTHONPATH=str(ROOT),
        CITYBOT_DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'city.db'}",
        CITYBOT_DATA_DIR=str(tmp_path / "data"),
        CITYBOT_WECHAT_APP_ID=APP_ID,
        CITYBOT_WECHAT_APP_SECRET=APP_SECRET,
        CITYBOT_WECHAT_TOKEN=TOKEN,
        CITYBOT_WECHAT_API_BASE=server.api_base,
        CITYBOT_WECHAT_PORT=str(port),
    )
    if safe:
        env["CITYBOT_WECHAT_AES_KEY"] = AES_KEY
    return env


async def test_run_serves_wechat_without_a_telegram_token(
    wx_server: WeChatSandboxServer, wx: WeChatSandboxClient, tmp_path: Path, safe_mode: bool
) -> None:
    port = free_port()
    env = wechat_env(wx_server, tmp_path, port, safe=safe_mode)
    await wx.configure_account(
        app_id=APP_ID,
        app_secret=APP_SECRET,
        token=TOKEN,
        aes_key=AES_KEY if safe_mode else None,
        callback_url=f"http://127.0.0.1:{port}/wechat",
    )
    async with citybot("run", env=env, cwd=tmp_path, stdout=True) as bot:
        assert f"WeChat callback at http://127.0.0.1:{port}/wechat" in await bot.line()
        citizen = await wx.create_user("Tom", "en")
        answer = await wx.subscribe(citizen)
        assert (answer.reply or "").startswith("Hello! I am the city's street-care assistant.")
        asked = await wx.send_text(citizen, "/lang")
        assert "1. 中文" in (asked.reply or "") and "2. English" in (asked.reply or "")
        assert (await wx.send_text(citizen, "1")).reply == "已切换为中文。"  # picked by number: now Chinese
    assert bot.returncode == 0, bot.errors
    assert "Traceback" not in bot.errors


async def test_the_process_jobs_deliver_a_case_to_an_officer_on_wechat(
    wx_server: WeChatSandboxServer, wx: WeChatSandboxClient, tmp_path: Path, clock: ManualClock
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'city.db'}"
    await upgrade(url)
    db = Database(url)
    services = make_services(db, clock, tmp_path)
    await seed_city(services)
    async with UnitOfWork(db) as uow:
        code = (await create_invite(uow.session, "G-1", now=datetime.now(UTC))).code
        await uow.commit()
    await db.dispose()
    port = free_port()
    await wx.configure_account(
        app_id=APP_ID, app_secret=APP_SECRET, token=TOKEN, aes_key=None, callback_url=f"http://127.0.0.1:{port}/wechat"
    )
    env = wechat_env(wx_server, tmp_path, port, safe=False)
    async with citybot("run", env=env, cwd=tmp_path, stdout=True, stop_with=signal.SIGINT) as bot:
        await bot.line()
        officer = await wx.create_user("王", "zh_CN")
        assert "东华门网格一" in ((await wx.send_text(officer, f"绑定 {code}")).reply or "")
        citizen = await wx.create_user("小明", "zh_CN")
        asked = await wx.send_image(citizen)
        await wx.send_text(citizen, number_of(asked.reply or "", "暴露垃圾"))
        lat, lon = wgs84_to_gcj02(*INSIDE)
        await wx.send_location(citizen, lat, lon)
        check = await wx.send_text(citizen, "跳过")
        done = await wx.send_text(citizen, number_of(check.reply or "", "提交"))
        assert "#1" in (done.reply or "")
        card = await wx.wait_for(officer, "接单", timeout=30)  # the process's outbox job sent it
        assert "#1" in (card.text or "")
    assert bot.returncode == 0, bot.errors


async def test_run_serves_telegram_and_wechat_together(
    sandbox: SandboxServer, client: SandboxClient, wx_server: WeChatSandboxServer, wx: WeChatSandboxClient,
    tmp_path: Path,
) -> None:  # fmt: skip
    port = free_port()
    env = wechat_env(wx_server, tmp_path, port, safe=False)
    telegram = process_env(sandbox, env["CITYBOT_DATABASE_URL"], tmp_path / "data")
    env.update({k: v for k, v in telegram.items() if k.startswith("CITYBOT_TELEGRAM")})
    await wx.configure_account(
        app_id=APP_ID, app_secret=APP_SECRET, token=TOKEN, aes_key=None, callback_url=f"http://127.0.0.1:{port}/wechat"
    )
    async with citybot("run", env=env, cwd=tmp_path, stop_with=signal.SIGINT) as bot:
        person = await client.create_user(first_name="Anna", language_code="en")
        await client.send_command(person, "/start")
        assert "Hello Anna!" in (await client.wait_for_message(person.chat_id, timeout=60)).text
        follower = await wx.create_user("Tom", "en")
        for _ in range(100):  # the callback starts with the bot's start-up hooks
            answer = await wx.subscribe(follower)
            if answer.reply:
                break
            await asyncio.sleep(0.2)
        assert (answer.reply or "").startswith("Hello! I am the city's street-care assistant.")
    assert bot.returncode == 0, bot.errors
