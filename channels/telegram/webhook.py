"""Telegram's webhook as an aiohttp application: Telegram POSTs each update here instead of answering getUpdates.

Only a request carrying the secret registered with ``setWebhook`` (header ``X-Telegram-Bot-Api-Secret-Token``) is
taken; anything else is refused with 403 before its body is read, so a stranger who learns the URL cannot post
updates. A taken update goes onto the PTB application's update queue, where the handlers take it as they take a
polled one; Telegram gets 200 at once (it waits for nothing else, and resends on any other status).
"""

from __future__ import annotations

import hmac
import json
import logging
import re
from typing import Any

from aiohttp import web
from telegram import Update

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
#: Telegram's rule for a webhook secret.
SECRET_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
#: An update is a message with at most 4,096 characters of text and a few hundred of metadata; far below this.
MAX_UPDATE_BYTES = 1024 * 1024


def webhook_app(application: Any, path: str, secret: str) -> web.Application:
    """Serve ``POST path``, handing updates that carry ``secret`` to ``application`` (a running PTB Application)."""
    if not SECRET_PATTERN.match(secret):
        raise ValueError("a webhook secret may hold only 1-256 of A-Z a-z 0-9 _ -")
    expected = secret.encode()

    async def receive(request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, expected):
            log.warning("webhook: refused a request without the secret from %s", request.remote)
            return web.Response(status=403, text="Forbidden")
        try:
            data = json.loads(await request.read())
            update = Update.de_json(data, application.bot)
        except (ValueError, TypeError, KeyError, AttributeError):
            log.warning("webhook: refused a body that is not an update")
            return web.Response(status=400, text="Bad Request: not a Telegram update")
        if update is None:
            return web.Response(status=400, text="Bad Request: not a Telegram update")
        await application.update_queue.put(update)
        return web.Response(status=200)

    app = web.Application(client_max_size=MAX_UPDATE_BYTES)
    app.router.add_post(path or "/", receive)
    return app
