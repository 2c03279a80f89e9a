"""Composing the WeChat channel: API client, receipt book, callback, handler and the outbox sender.

``build_wechat(services, settings)`` wires everything and registers the sender with the process's channels, so
the outbox delivers WeChat rows. ``channel.app()`` is the aiohttp application serving ``/wechat``; mount it, or
let ``channel.start()`` serve it on ``settings.listen:settings.port``. ``channel.close()`` stops serving, waits
for sends still running and closes the API client.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from aiohttp import web

from channels.wechat.adapter import CHANNEL, WeChatAdapter
from channels.wechat.api import WeChatApi
from channels.wechat.callback import WeChatCallback
from channels.wechat.errors import WeChatApiError
from channels.wechat.sender import WeChatSender
from channels.wechat.settings import CALLBACK_PATH, WeChatSettings
from models.receipts import ReceiptBook
from services.context import Services
from services.conversation import Conversation

log = logging.getLogger(__name__)


@dataclass
class WeChatChannel:
    """The channel of one account, built by ``build_wechat``."""

    settings: WeChatSettings
    api: WeChatApi
    adapter: WeChatAdapter
    callback: WeChatCallback
    sender: WeChatSender
    _app: web.Application | None = None
    _runners: list[web.AppRunner] = field(default_factory=list)

    def app(self) -> web.Application:
        """The aiohttp application serving ``GET``/``POST /wechat`` (one per channel)."""
        if self._app is None:
            self._app = self.callback.app()
        return self._app

    async def start(self, host: str | None = None, port: int | None = None) -> str:
        """Serve the callback (on the settings' address unless told otherwise); returns its URL."""
        runner = web.AppRunner(self.app(), shutdown_timeout=2.0)
        await runner.setup()
        await web.TCPSite(runner, host or self.settings.listen, self.settings.port if port is None else port).start()
        self._runners.append(runner)
        bound_host, bound_port = runner.addresses[0][:2]
        return f"http://{bound_host}:{bound_port}{CALLBACK_PATH}"

    async def close(self) -> None:
        """Stop serving, let running sends and later work finish, close the API client."""
        for runner in self._runners:
            await runner.cleanup()
        self._runners.clear()
        await self.callback.close()
        await self.adapter.close()
        await self.api.close()


def build_wechat(
    services: Services,
    settings: WeChatSettings,
    *,
    conversation: Conversation | None = None,
    register: bool = True,
) -> WeChatChannel:
    """The WeChat channel over ``services``; its sender is registered with ``services.channels`` unless told not.

    ``conversation`` defaults to a new ``Conversation(services)`` (pass the process's own to share it).
    """
    api = WeChatApi(settings, services.clock)
    adapter = WeChatAdapter(services, api, conversation or Conversation(services), msgmenu=settings.msgmenu)

    async def undelivered(user: str, texts: list[str], error: WeChatApiError) -> None:
        log.warning("wechat: %d answer(s) to %s not delivered: %s", len(texts), user, error)

    callback = WeChatCallback(
        settings, adapter, api, ReceiptBook(services.db, CHANNEL), services.clock, on_undelivered=undelivered
    )
    sender = WeChatSender(api, services, msgmenu=settings.msgmenu)
    if register:
        services.channels.register(sender)
    return WeChatChannel(settings, api, adapter, callback, sender)
