"""Two processes of one account against the WeChat sandbox: one ``/cgi-bin/token`` fetch serves both, and a token
WeChat stops accepting is replaced once, not once per process (each fetch would knock out the other's token)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from channels.wechat.bootstrap import WeChatChannel, build_wechat
from models.db import Database
from models.uow import UnitOfWork
from sandbox.wechat import WeChatSandboxClient, WeChatSandboxServer
from sandbox.wechat.client import WxUser
from services.clock import ManualClock
from services.context import Services
from services.delivery import deliver_due
from services.messages import Message, Text
from services.outbox import Contact, enqueue
from tests.conftest import make_services
from tests.e2e.wechat.conftest import channel_settings
from tests.e2e.wechat.world import WeChatWorld, start_world


@dataclass
class Worker:
    """A second process of the account (``citybot worker``): its own services and connections, the same database."""

    services: Services
    channel: WeChatChannel

    async def deliver(self) -> int:
        return await deliver_due(self.services)


@pytest.fixture
async def two(
    wx_server: WeChatSandboxServer, wx: WeChatSandboxClient, tmp_path: Path, clock: ManualClock
) -> AsyncIterator[tuple[WeChatWorld, Worker]]:
    """``citybot run`` serving the callback, and a worker delivering beside it."""
    running, db = await start_world(wx_server, wx, tmp_path, clock, safe=False)
    worker_db = Database(str(db.url))
    services = make_services(worker_db, clock, tmp_path / "worker")
    services.config.outbox.per_chat_interval_seconds = 0
    worker = Worker(services, build_wechat(services, channel_settings(wx_server, safe=False)))
    try:
        yield running, worker
    finally:
        await worker.channel.close()
        await running.channel.close()
        await worker_db.dispose()
        await db.dispose()


async def queue(services: Services, user: WxUser, said: str) -> None:
    async with UnitOfWork(services.db) as uow:
        message = Message((Text.raw(said),))
        await enqueue(
            uow.session, to=Contact("wechat", user.openid), message=message, kind="status", now=services.clock.now()
        )
        await uow.commit()


async def follower(wx: WeChatSandboxClient, name: str) -> WxUser:
    """A follower whose 48-hour window is open (they were welcomed)."""
    user = await wx.create_user(name)
    await wx.subscribe(user)
    return user


async def since_welcome(wx: WeChatSandboxClient, user: WxUser) -> list[str]:
    """The texts the follower was shown after the welcome, in order of arrival."""
    return (await wx.texts(user))[1:]


async def test_both_processes_deliver_with_one_token_fetch(two: tuple[WeChatWorld, Worker]) -> None:
    run, worker = two
    first, second = await follower(run.wx, "王芳"), await follower(run.wx, "李雷")
    await queue(run.services, first, "案件 #1 已受理。")
    assert await run.deliver() == 1
    await queue(run.services, second, "案件 #2 已受理。")
    assert await worker.deliver() == 1
    assert await since_welcome(run.wx, first) == ["案件 #1 已受理。"]
    assert await since_welcome(run.wx, second) == ["案件 #2 已受理。"]
    assert await run.wx.token_fetches() == 1


async def test_a_token_wechat_refuses_is_replaced_once_for_both_processes(two: tuple[WeChatWorld, Worker]) -> None:
    run, worker = two
    first, second = await follower(run.wx, "王芳"), await follower(run.wx, "李雷")
    await run.channel.api.send_text(first.openid, "one")
    await worker.channel.api.send_text(second.openid, "one")
    assert await run.wx.token_fetches() == 1
    await run.wx.invalidate_tokens()  # 40001 for the token both processes hold
    await asyncio.gather(
        *(api.send_text(user.openid, f"two {n}") for n in range(3) for api, user in
          ((run.channel.api, first), (worker.channel.api, second)))
    )  # fmt: skip
    assert await run.wx.token_fetches() == 2
    for user in (first, second):
        assert sorted(await since_welcome(run.wx, user)) == ["one", "two 0", "two 1", "two 2"]
