"""The HTTP server home (bot/servers.py) and the Telegram webhook application it serves in ``citybot run``."""

from __future__ import annotations

import asyncio
import io
import json
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from telegram import Bot, Update

from bot.servers import MAX_LINE, Servers, Site
from channels.telegram.webhook import MAX_UPDATE_BYTES, SECRET_HEADER, webhook_app

SECRET = "s3cret_-token"


def hello_app(text: str = "hello") -> web.Application:
    app = web.Application()

    async def hello(_request: web.Request) -> web.Response:
        return web.Response(text=text)

    app.router.add_get("/", hello)
    return app


async def get(url: str, **headers: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as http, http.get(url, headers=headers) as resp:
        return resp.status, await resp.text()


async def test_servers_start_together_answer_and_stop_together() -> None:
    servers = Servers()
    first = servers.add("first", hello_app("one"), "127.0.0.1", 0)
    second = servers.add("second", hello_app("two"), "127.0.0.1", 0)
    async with servers:
        assert await get(first.url + "/") == (200, "one")
        assert await get(second.url + "/") == (200, "two")
    with pytest.raises(aiohttp.ClientConnectionError):
        await get(first.url + "/")


async def test_a_port_in_use_stops_the_servers_already_started_and_says_so() -> None:
    async with Site("squatter", hello_app("squatter")) as squatter:
        servers = Servers()
        started = servers.add("first", hello_app("one"), "127.0.0.1", 0)
        servers.add("second", hello_app("two"), "127.0.0.1", squatter.port)
        with pytest.raises(OSError):
            await servers.start()
        with pytest.raises(aiohttp.ClientConnectionError):
            await get(started.url + "/")
        assert await get(squatter.url + "/") == (200, "squatter")


def test_two_applications_on_one_address_are_refused_before_anything_starts() -> None:
    servers = Servers()
    servers.add("Open311 API", hello_app(), "127.0.0.1", 8311)
    with pytest.raises(ValueError, match=r"127\.0\.0\.1:8311 is already used"):
        servers.add("WeChat callback", hello_app(), "127.0.0.1", 8311)


async def test_a_header_longer_than_the_limit_is_refused() -> None:
    async with Site("hello", hello_app()) as site:
        assert (await get(site.url + "/", **{"X-Long": "a" * (MAX_LINE - 100)}))[0] == 200
        assert (await get(site.url + "/", **{"X-Long": "a" * (MAX_LINE + 100)}))[0] == 400


class FakeApplication:
    """What the webhook needs of PTB's Application: the bot (to attach to updates) and the update queue."""

    def __init__(self) -> None:
        self.bot = Bot("123456:webhook-test")
        self.update_queue: asyncio.Queue[Any] = asyncio.Queue()


def text_update(text: str) -> dict[str, Any]:
    chat = {"id": 42, "type": "private", "first_name": "Anna"}
    sender = {"id": 42, "is_bot": False, "first_name": "Anna"}
    message = {"message_id": 7, "date": 1_800_000_000, "chat": chat, "from": sender, "text": text}
    return {"update_id": 1001, "message": message}


async def post(url: str, body: bytes, headers: dict[str, str]) -> int:
    headers = {"Content-Type": "application/json", **headers}
    async with aiohttp.ClientSession() as http, http.post(url, data=io.BytesIO(body), headers=headers) as resp:
        return resp.status


async def test_the_webhook_queues_updates_with_the_secret_and_refuses_everything_else() -> None:
    application = FakeApplication()
    async with Site("Telegram webhook", webhook_app(application, "/telegram/hook", SECRET)) as site:
        hook = site.url + "/telegram/hook"
        body = json.dumps(text_update("/start")).encode()
        assert await post(hook, body, {}) == 403
        assert await post(hook, body, {SECRET_HEADER: SECRET + "x"}) == 403
        assert await post(hook, b"{not json", {SECRET_HEADER: SECRET}) == 400
        assert await post(hook, b"[1, 2]", {SECRET_HEADER: SECRET}) == 400
        assert await post(hook, b" " * (MAX_UPDATE_BYTES + 1), {SECRET_HEADER: SECRET}) == 413
        assert application.update_queue.empty()

        assert await post(hook, body, {SECRET_HEADER: SECRET}) == 200
        update = application.update_queue.get_nowait()
        assert isinstance(update, Update) and update.message is not None
        assert (update.update_id, update.message.text, update.message.chat.id) == (1001, "/start", 42)
        assert application.update_queue.empty()


def test_a_secret_telegram_would_refuse_is_refused_by_the_webhook_too() -> None:
    with pytest.raises(ValueError, match="1-256 of A-Z a-z 0-9 _ -"):
        webhook_app(FakeApplication(), "/hook", "has spaces")
