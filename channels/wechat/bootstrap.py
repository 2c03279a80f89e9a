"""Composing the WeChat channel: API client, receipt book, callback, handler and the outbox sender.

``build_wechat(services, settings)`` wires everything (the API client takes its access token from the database,
shared by every process of the account) and registers the sender with the process's channels, so
the outbox delivers WeChat rows. ``channel.app()`` is the aiohttp application serving ``/wechat``; mount it, or
let ``channel.start()`` serve it on ``settings.listen:settings.port``. ``channel.close()`` stops serving, waits
for sends still running and closes the API client.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from aiohttp import web

from bot.servers import Site
from channels.wechat.adapter import CHANNEL, WeChatAdapter
from channels.wechat.api import WeChatApi
from channels.wechat.callback import WeChatCallback
from channels.wechat.errors import UserUnsubscribed, WeChatApiError
from channels.wechat.sender import WeChatSender
from channels.wechat.settings import CALLBACK_PATH, WeChatSettings
from models.receipts import ReceiptBook
from services.access_tokens import SharedAccessToken
from services.context import Services
from services.conversation import Conversation
from services.outbox import Contact, queue_final_texts

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
    _sites: list[Site] = field(default_factory=list)

    def app(self) -> web.Application:
        """The aiohttp application serving ``GET``/``POST /wechat`` (one per channel)."""
        if self._app is None:
            self._app = self.callback.app()
        return self._app

    async def start(self, host: str | None = None, port: int | None = None) -> str:
        """Serve the callback on its own (on the settings' address unless told otherwise); returns its URL. A
        process serving more than this mounts ``app()`` among its ``bot.servers.Servers`` instead."""
        site = Site(
            "WeChat callback", self.app(), host or self.settings.listen, self.settings.port if port is None else port
        )
        url = await site.start()
        self._sites.append(site)
        return f"{url}{CALLBACK_PATH}"

    async def close(self) -> None:
        """Stop serving, let running sends and later work finish, close the API client."""
        for site in self._sites:
            await site.stop()
        self._sites.clear()
        await self.callback.close()
        await self.adapter.close()
        await self.api.close()


#: The outbox kind of an answer that custom-send could not deliver at once.
KIND_ANSWER = "wechat_answer"


async def queue_undelivered(services: Services, user: str, texts: list[str], error: WeChatApiError) -> None:
    """Answers custom-send could not hand over go to the outbox (held there until the person writes, if need be);
    nothing is queued for a follower who unfollowed."""
    if isinstance(error, UserUnsubscribed):
        log.info("wechat: %d answer(s) to %s dropped: unfollowed", len(texts), user)
        return
    log.warning("wechat: %d answer(s) to %s queued after: %s", len(texts), user, error)
    await queue_final_texts(services.db, Contact(CHANNEL, user), texts, kind=KIND_ANSWER, now=services.clock.now())


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
    # Every process of the account uses the token kept in the database: one fetches, the others read it.
    api = WeChatApi(settings, services.clock, tokens=SharedAccessToken(services, settings.app_id))
    adapter = WeChatAdapter(services, api, conversation or Conversation(services), msgmenu=settings.msgmenu)

    callback = WeChatCallback(
        settings,
        adapter,
        api,
        ReceiptBook(services.db, CHANNEL),
        services.clock,
        on_undelivered=lambda user, texts, error: queue_undelivered(services, user, texts, error),
    )
    sender = WeChatSender(api, services, msgmenu=settings.msgmenu)
    if register:
        services.channels.register(sender)
    return WeChatChannel(settings, api, adapter, callback, sender)
