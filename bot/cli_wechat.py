"""The WeChat channel in ``citybot run`` and ``citybot worker``: beside the Telegram bot, or on its own.

With ``CITYBOT_WECHAT_APP_ID`` set, ``run`` serves the callback on ``CITYBOT_WECHAT_LISTEN:CITYBOT_WECHAT_PORT``
and its outbox jobs deliver WeChat rows. Without a Telegram token, it runs only WeChat: the callback and the timed
jobs (``scheduler.loops``) in one asyncio process, until SIGINT or SIGTERM.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from typing import Any

import typer

from bot.settings import Settings
from channels.wechat import CHANNEL
from channels.wechat.bootstrap import WeChatChannel, build_wechat
from channels.wechat.settings import InvalidWeChatSettings, WeChatSettings
from services.context import Services

log = logging.getLogger(__name__)


def wechat_settings(settings: Settings) -> WeChatSettings | None:
    """The channel's settings, None when it is off; a one-line error when they cannot work."""
    try:
        return WeChatSettings.from_settings(settings)
    except InvalidWeChatSettings as exc:
        from bot.cli import fail

        fail(str(exc))
        raise  # unreachable


def attach_wechat(wechat: WeChatSettings, application: Any, *, serve: bool = True) -> None:
    """Build the channel when the bot starts (its sender delivers WeChat rows), serve its callback if ``serve``,
    and close it when the bot stops."""
    services: Services = application.bot_data["services"]
    built: list[WeChatChannel] = []

    async def start(svc: Services) -> None:
        channel = build_wechat(svc, wechat)
        built.append(channel)
        if serve:
            url = await channel.start()
            log.info("WeChat callback at %s", url)

    earlier = application.post_stop

    async def stop(app: Any) -> None:
        if earlier is not None:
            await earlier(app)
        for channel in built:
            await channel.close()

    services.startup_hooks.append(start)
    application.post_stop = stop


def run_wechat_only(settings: Settings, wechat: WeChatSettings, *, jobs: bool) -> None:
    """Serve only the WeChat channel (and the timed jobs, if ``jobs``) until SIGINT or SIGTERM."""
    from bot.app import build_services
    from scheduler.loops import start_jobs, stop_jobs

    async def main() -> None:
        services = build_services(settings)
        services.default_channel = CHANNEL  # bare addresses in the configuration are WeChat OpenIDs here
        for hook in services.startup_hooks:
            await hook(services)
        channel = build_wechat(services, wechat)
        stopped = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(sig, stopped.set)
        tasks = []
        try:
            url = await channel.start()
            typer.echo(f"WeChat callback at {url} (no Telegram token: WeChat only; Ctrl-C to stop)")
            tasks = start_jobs(services) if jobs else []
            await stopped.wait()
        finally:
            await stop_jobs(tasks)
            await channel.close()
            await services.db.dispose()

    asyncio.run(main())
