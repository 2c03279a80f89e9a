"""Webhook delivery: with a webhook set, a bot's updates are POSTed to it instead of waiting for getUpdates.

As on Telegram, each request carries the ``X-Telegram-Bot-Api-Secret-Token`` header when the bot registered a
secret, updates go out one at a time in order, an update is dropped from the queue only once the bot answered
with a 2xx status, and a failed delivery is retried (here after ``RETRY_SECONDS``; Telegram backs off longer).
Unlike Telegram, the sandbox accepts ``http://`` URLs and any port, since everything runs on this machine.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import aiohttp

from sandbox.errors import JSON, bad_request
from sandbox.feeds import UpdateQueue

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
RETRY_SECONDS = 1.0
_SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


@dataclass
class Webhook:
    """A registered webhook and the task delivering to it."""

    url: str
    secret_token: str | None
    last_error_date: int | None = None
    last_error_message: str | None = None
    delivered: int = 0
    _task: asyncio.Task[None] | None = field(default=None, repr=False)

    def info(self, pending: int) -> JSON:
        """The `WebhookInfo` object getWebhookInfo answers with."""
        info: JSON = {"url": self.url, "has_custom_certificate": False, "pending_update_count": pending}
        if self.last_error_message is not None:
            info["last_error_date"] = self.last_error_date
            info["last_error_message"] = self.last_error_message
        return info


def check(url: str, secret_token: str | None) -> None:
    """Refuse what Telegram refuses: a URL that is not http(s), a secret with characters outside [A-Za-z0-9_-]."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise bad_request("bad webhook: an HTTP(S) URL must be provided for webhook")
    if secret_token is not None and not _SECRET.match(secret_token):
        raise bad_request("secret token contains unallowed characters")


def start(webhook: Webhook, updates: UpdateQueue, now: Callable[[], int]) -> None:
    """Begin delivering ``updates`` to ``webhook`` in a task of the running loop."""
    webhook._task = asyncio.get_running_loop().create_task(_deliver(webhook, updates, now))


async def stop(webhook: Webhook) -> None:
    """Stop delivering (updates not yet delivered stay queued)."""
    task, webhook._task = webhook._task, None
    if task is not None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def _deliver(webhook: Webhook, updates: UpdateQueue, now: Callable[[], int]) -> None:
    headers = {SECRET_HEADER: webhook.secret_token} if webhook.secret_token else {}
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(timeout=timeout) as http:
        while True:
            update = await updates.next_pending()
            try:
                async with http.post(webhook.url, json=update, headers=headers) as response:
                    ok = 200 <= response.status < 300
                    error = None if ok else f"Wrong response from the webhook: {response.status} {response.reason}"
            except (aiohttp.ClientError, TimeoutError, OSError) as exc:
                ok, error = False, f"Connection failed: {exc!r}"
            if ok:
                updates.confirm(update["update_id"] + 1)
                webhook.delivered += 1
                continue
            webhook.last_error_date, webhook.last_error_message = now(), error
            log.debug("webhook delivery to %s failed: %s", webhook.url, error)
            await asyncio.sleep(RETRY_SECONDS)
