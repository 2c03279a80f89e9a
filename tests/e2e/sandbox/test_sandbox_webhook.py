"""The sandbox's webhook mode: setWebhook with a secret, deliveries by POST in order, retries, deleteWebhook."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from telegram import Bot
from telegram.error import BadRequest, Conflict

from bot.servers import Site
from sandbox import SandboxClient
from sandbox.webhooks import SECRET_HEADER

TOKEN = "424242:webhook-test"


class Receiver:
    """A bot's webhook endpoint on a free port that records what it got and answers with ``status``."""

    def __init__(self) -> None:
        self.got: list[tuple[str | None, dict[str, Any]]] = []
        self.status = 200
        self.arrived = asyncio.Event()
        self.url = ""

    async def handle(self, request: web.Request) -> web.Response:
        if self.status == 200:
            self.got.append((request.headers.get(SECRET_HEADER), await request.json()))
            self.arrived.set()
        return web.Response(status=self.status)

    async def until(self, count: int) -> None:
        while len(self.got) < count:
            self.arrived.clear()
            await asyncio.wait_for(self.arrived.wait(), 10)


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    found = Receiver()
    app = web.Application()
    app.router.add_post("/hook", found.handle)
    async with Site("receiver", app) as site:
        found.url = f"{site.url}/hook"
        yield found


async def test_updates_are_posted_in_order_with_the_secret_and_getupdates_is_refused(
    bot: Bot, client: SandboxClient, receiver: Receiver
) -> None:
    assert await bot.set_webhook(receiver.url, secret_token="s3cret-Token_1")
    user = await client.create_user(first_name="Anna")
    for text in ("one", "two", "three"):
        await client.send_text(user, text)
    await receiver.until(3)
    assert [(secret, update["message"]["text"]) for secret, update in receiver.got] == [
        ("s3cret-Token_1", "one"),
        ("s3cret-Token_1", "two"),
        ("s3cret-Token_1", "three"),
    ]
    with pytest.raises(Conflict, match="webhook is active"):
        await bot.get_updates()
    info = await bot.get_webhook_info()
    assert (info.url, info.pending_update_count) == (receiver.url, 0)


async def test_a_failed_delivery_is_kept_and_retried(bot: Bot, client: SandboxClient, receiver: Receiver) -> None:
    receiver.status = 500
    await bot.set_webhook(receiver.url, secret_token="abc")
    user = await client.create_user(first_name="Anna")
    await client.send_text(user, "hello")
    for _ in range(100):
        info = await bot.get_webhook_info()
        if info.last_error_message:
            break
        await asyncio.sleep(0.05)
    assert info.pending_update_count == 1 and "500" in (info.last_error_message or "")
    receiver.status = 200
    await receiver.until(1)
    assert receiver.got[0][1]["message"]["text"] == "hello"


async def test_after_delete_webhook_updates_wait_for_getupdates_again(
    bot: Bot, client: SandboxClient, receiver: Receiver
) -> None:
    await bot.set_webhook(receiver.url)
    assert await bot.delete_webhook()
    user = await client.create_user(first_name="Anna")
    await client.send_text(user, "back to polling")
    updates = await bot.get_updates(timeout=5)
    assert [u.message.text for u in updates if u.message] == ["back to polling"]
    assert receiver.got == []
    assert (await bot.get_webhook_info()).url == ""


async def test_a_secret_with_unallowed_characters_is_refused(bot: Bot, receiver: Receiver) -> None:
    with pytest.raises(BadRequest, match=r"(?i)secret token contains unallowed characters"):
        await bot.set_webhook(receiver.url, secret_token="no spaces!")
    assert (await bot.get_webhook_info()).url == ""
