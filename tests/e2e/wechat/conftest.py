"""The WeChat callback and API client, over loopback, against the offline WeChat sandbox.

``callback`` is the channel as deployed (its own API client and receipt book over the test database, on a free
port), in plaintext and in safe mode; the injected handler is a ``FakeConversation`` that records every event.
"""

from __future__ import annotations

import asyncio
import base64
import inspect
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from aiohttp import web

from channels.wechat.api import WeChatApi
from channels.wechat.callback import WeChatCallback
from channels.wechat.errors import WeChatApiError
from channels.wechat.events import InboundEvent, Text
from channels.wechat.settings import WeChatSettings
from models.db import Database
from models.receipts import ReceiptBook
from sandbox.testing import no_internet
from sandbox.wechat import WeChatSandboxClient, WeChatSandboxServer
from services.clock import ManualClock

APP_ID = "wxc1tyb0t0000001"
APP_SECRET = "sandbox-app-secret"
TOKEN = "sandbox-token"
AES_KEY = base64.b64encode(bytes(range(100, 132))).decode().rstrip("=")

Answer = Callable[[InboundEvent], list[str] | Awaitable[list[str]]]


def echo(event: InboundEvent) -> list[str]:
    """What the fake conversation says by default: the event's type, and the text of a Text."""
    return [f"echo: {event.text}" if isinstance(event, Text) else f"got {type(event).__name__}"]


class FakeConversation:
    """The injected handler: records events, answers with ``answer`` (plain or async), can be slow or fail.

    Like the real one, it takes the message in (claims its key) once its work is done, and says nothing for a key
    taken in already; ``receipts`` is set by the process it is served by.
    """

    def __init__(self) -> None:
        self.events: list[InboundEvent] = []
        self.answer: Answer = echo
        self.delay = 0.0
        self.failures = 0  # how many calls raise before the next one answers
        self.undelivered: list[tuple[str, list[str], WeChatApiError]] = []
        self.receipts: tuple[ReceiptBook, ManualClock] | None = None

    async def __call__(self, event: InboundEvent) -> list[str]:
        self.events.append(event)
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.failures:
            self.failures -= 1
            raise RuntimeError("the database went away")
        answer = self.answer(event)
        said = await answer if inspect.isawaitable(answer) else answer
        if self.receipts is not None:
            book, clock = self.receipts
            if not await book.claim(event.dedupe_key, clock.now()):
                return []
        return said

    async def note_undelivered(self, user: str, texts: list[str], error: WeChatApiError) -> None:
        self.undelivered.append((user, texts, error))


class CallbackProcess:
    """One process serving the callback: settings, API client, receipt book, the aiohttp app on a free port."""

    def __init__(self, settings: WeChatSettings, db: Database, clock: ManualClock, handler: FakeConversation) -> None:
        self.settings = settings
        self.handler = handler
        self.api = WeChatApi(settings, clock)
        receipts = ReceiptBook(db, "wechat")
        handler.receipts = (receipts, clock)
        self.callback = WeChatCallback(
            settings, handler, self.api, receipts, clock, on_undelivered=handler.note_undelivered
        )
        self._runner = web.AppRunner(self.callback.app(), shutdown_timeout=1.0)
        self.url = ""

    async def start(self) -> CallbackProcess:
        """Serve on a free loopback port."""
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.url = f"http://127.0.0.1:{self._runner.addresses[0][1]}/wechat"
        return self

    async def stop(self) -> None:
        """Finish background sends, stop serving, close the API client."""
        await self._runner.cleanup()
        await self.api.close()


def channel_settings(
    server: WeChatSandboxServer, *, safe: bool, reply_budget: float = 4.0, msgmenu: bool = False
) -> WeChatSettings:
    """The channel's settings for the sandbox account (safe mode encrypts with AES_KEY)."""
    return WeChatSettings(
        app_id=APP_ID,
        app_secret=APP_SECRET,
        token=TOKEN,
        aes_key=AES_KEY if safe else None,
        api_base=server.api_base,
        reply_budget=reply_budget,
        msgmenu=msgmenu,
    )


@pytest.fixture
async def wx_server() -> AsyncIterator[WeChatSandboxServer]:
    """The WeChat sandbox on a free port; any lookup of a non-local host fails meanwhile."""
    with no_internet():
        async with WeChatSandboxServer() as server:
            yield server


@pytest.fixture
async def wx(wx_server: WeChatSandboxServer) -> AsyncIterator[WeChatSandboxClient]:
    """Acts as WeChat users and reads what they received."""
    async with WeChatSandboxClient(wx_server.url) as client:
        yield client


@pytest.fixture(params=["plaintext", "safe"])
def safe_mode(request: pytest.FixtureRequest) -> bool:
    """Each test once with plaintext messages and once in safe mode (encrypted)."""
    return bool(request.param == "safe")


@pytest.fixture
def conversation() -> FakeConversation:
    """The injected handler."""
    return FakeConversation()


@pytest.fixture
async def callback(
    wx_server: WeChatSandboxServer,
    wx: WeChatSandboxClient,
    sqlite_database: Database,
    clock: ManualClock,
    conversation: FakeConversation,
    safe_mode: bool,
) -> AsyncIterator[CallbackProcess]:
    """The callback serving the sandbox account, which posts to it."""
    process = await start_callback(wx_server, wx, sqlite_database, clock, conversation, safe=safe_mode)
    try:
        yield process
    finally:
        await process.stop()


async def start_callback(
    server: WeChatSandboxServer,
    wx: WeChatSandboxClient,
    db: Database,
    clock: ManualClock,
    conversation: FakeConversation,
    *,
    safe: bool,
    reply_budget: float = 4.0,
) -> CallbackProcess:
    """Start a callback process and point the sandbox account at it."""
    settings = channel_settings(server, safe=safe, reply_budget=reply_budget)
    process = await CallbackProcess(settings, db, clock, conversation).start()
    await wx.configure_account(
        app_id=APP_ID, app_secret=APP_SECRET, token=TOKEN, aes_key=settings.aes_key, callback_url=process.url
    )
    return process
