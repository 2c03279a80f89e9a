"""What ``citybot run`` and ``citybot worker`` serve, and the one order in which a bot process starts and stops.

``citybot run`` is one process with one mechanism: the PTB application (handlers, jobs, the outbox senders) plus
the HTTP servers of ``bot.servers`` that ``http_servers()`` lists from the settings: the Telegram webhook when
``CITYBOT_WEBHOOK_URL`` is set, the Open311 API when ``CITYBOT_OPEN311_PORT`` is set. A channel with an HTTP side
of its own (the WeChat callback) adds one line there: ``servers.add(name, app, host, port)``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlsplit

from bot.servers import Servers, until_stopped
from bot.settings import Settings
from services.context import Services

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Webhook:
    """Telegram's webhook: the public URL registered with setWebhook, and the secret it must carry."""

    url: str
    secret: str

    @property
    def path(self) -> str:
        """The path the server answers on (a reverse proxy forwards the public URL's path unchanged)."""
        return urlsplit(self.url).path or "/"


def add_open311(servers: Servers, settings: Settings, services: Services, port: int) -> None:
    """Serve the Open311 GeoReport v2 API on ``CITYBOT_OPEN311_LISTEN:port``."""
    from channels.open311.server import open311_app

    app = open311_app(services, public_url=settings.open311_public_url, config_path=settings.config)
    servers.add("Open311 API", app, settings.open311_listen, port)


def http_servers(settings: Settings, application: Any, webhook: Webhook | None) -> Servers:
    """The HTTP servers ``citybot run`` starts beside the bot, from the settings.

    To serve one more channel from the same process, build its aiohttp application here and add it:
    ``servers.add("WeChat callback", app, settings.wechat_listen, settings.wechat_port)``; close what the
    application opened from its ``app.on_cleanup``.
    """
    from channels.telegram.webhook import webhook_app

    services: Services = application.bot_data["services"]
    servers = Servers()
    if webhook is not None:
        app = webhook_app(application, webhook.path, webhook.secret)
        servers.add("Telegram webhook", app, settings.webhook_listen, settings.webhook_port)
    if settings.open311_port:
        add_open311(servers, settings, services, settings.open311_port)
    return servers


Updates = Literal["polling", "webhook", "none"]


async def serve_bot(application: Any, servers: Servers, *, updates: Updates, webhook: Webhook | None = None) -> None:
    """Run ``application`` and ``servers`` until SIGINT/SIGTERM, then stop everything in reverse order.

    ``updates``: "polling" (getUpdates), "webhook" (Telegram posts to ``webhook``, served by ``servers``) or
    "none" (a worker: jobs only). The start-up hooks run before any server listens, so the grid index is loaded
    before the first report or API request arrives; the webhook is registered only once its server listens.
    """
    await application.initialize()
    try:
        if application.post_init is not None:
            await application.post_init(application)
        await application.start()
        try:
            async with servers:  # leaving it stops the servers first: nothing more is taken in while stopping
                if updates == "polling":
                    await application.updater.start_polling()
                elif updates == "webhook":
                    assert webhook is not None, "webhook mode needs the webhook's URL and secret"
                    await application.bot.set_webhook(url=webhook.url, secret_token=webhook.secret)
                await until_stopped()
        finally:
            if application.updater is not None and application.updater.running:
                await application.updater.stop()
            await application.stop()  # what was taken in is handled
            if application.post_stop is not None:
                await application.post_stop(application)
    finally:
        await application.shutdown()
        if application.post_shutdown is not None:
            await application.post_shutdown(application)
