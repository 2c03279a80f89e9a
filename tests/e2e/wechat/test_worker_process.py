"""`citybot worker` with only WeChat configured: a real jobs-only process delivers WeChat notices, no Telegram token
needed; a Telegram row waits for a process that has one."""

from __future__ import annotations

import signal
from pathlib import Path

from sqlalchemy import select

from channels.telegram import CHANNEL as TELEGRAM
from channels.wechat import CHANNEL as WECHAT
from models.db import Database
from models.migrate import upgrade
from models.outbox import DeliveryStatus, OutboxMessage
from models.uow import UnitOfWork
from sandbox.wechat import WeChatSandboxClient, WeChatSandboxServer
from services.clock import SystemClock
from services.messages import Message, Text
from services.outbox import Contact, enqueue
from tests.e2e.wechat.conftest import APP_ID, APP_SECRET, TOKEN
from tests.e2e.wechat.test_run_process import wechat_env
from tests.integration.open311_world import free_port
from tests.processes import citybot

NOTICE = "您的报告 #5 已办结。"


async def test_a_worker_without_a_telegram_token_delivers_wechat_notices(
    wx_server: WeChatSandboxServer, wx: WeChatSandboxClient, tmp_path: Path
) -> None:
    # No callback: the worker serves none; following the account opens the user's 48-hour window.
    await wx.configure_account(app_id=APP_ID, app_secret=APP_SECRET, token=TOKEN, aes_key=None, callback_url=None)
    citizen = await wx.create_user("小明", "zh_CN")
    await wx.subscribe(citizen)
    url = f"sqlite+aiosqlite:///{tmp_path / 'city.db'}"
    await upgrade(url)
    db = Database(url)
    now = SystemClock().now()
    async with UnitOfWork(db) as uow:
        for channel, address in ((WECHAT, citizen.openid), (TELEGRAM, "4242")):
            message = Message(lines=(Text.raw(NOTICE),))
            await enqueue(uow.session, to=Contact(channel, address), message=message, kind="status", now=now)
        await uow.commit()

    env = wechat_env(wx_server, tmp_path, free_port(), safe=False)
    assert not any(key.startswith("CITYBOT_TELEGRAM") for key in env)
    async with citybot("worker", env=env, cwd=tmp_path, stdout=True, stop_with=signal.SIGINT) as worker:
        assert (await worker.line()).startswith("WeChat worker:")
        shown = await wx.wait_for(citizen, "已办结", timeout=30)
        assert shown.text == NOTICE and shown.msgtype == "text"
    assert worker.returncode == 0, worker.errors
    assert "Traceback" not in worker.errors
    async with UnitOfWork(db) as uow:
        rows = {r.channel: r for r in await uow.session.scalars(select(OutboxMessage))}
    await db.dispose()
    assert rows[WECHAT].status == DeliveryStatus.SENT
    assert rows[TELEGRAM].status == DeliveryStatus.PENDING and rows[TELEGRAM].attempts == 0  # left for Telegram
