"""The WeChat channel in ``citybot run`` and ``citybot worker``: beside the Telegram bot, or on its own.

With ``CITYBOT_WECHAT_APP_ID`` set, ``run`` serves the callback on ``CITYBOT_WECHAT_LISTEN:CITYBOT_WECHAT_PORT``
and its outbox jobs deliver WeChat rows. Without a Telegram token, it runs only WeChat: the callback and the timed
jobs (``scheduler.loops``) in one asyncio process, until SIGINT or SIGTERM; ``worker`` without a Telegram token
runs the same jobs with no callback (its outbox delivers WeChat rows only; Telegram rows wait for a process with
the token).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import typer

from bot.servers import Servers, until_stopped
from bot.settings import Settings
from channels.wechat import CHANNEL
from channels.wechat.bootstrap import WeChatChannel, build_wechat
from channels.wechat.settings import CALLBACK_PATH, InvalidWeChatSettings, WeChatSettings
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


def attach_wechat(wechat: WeChatSettings, application: Any, servers: Servers | None) -> WeChatChannel:
    """Build the channel beside the bot (its sender delivers WeChat rows), serve its callback among ``servers``
    (None: a worker, which only delivers), and close it when the bot stops."""
    services: Services = application.bot_data["services"]
    channel = build_wechat(services, wechat)
    if servers is not None:
        servers.add("WeChat callback", channel.app(), wechat.listen, wechat.port)
    earlier = application.post_stop

    async def stop(app: Any) -> None:
        if earlier is not None:
            await earlier(app)
        await channel.close()

    application.post_stop = stop
    return channel


def run_wechat_only(settings: Settings, wechat: WeChatSettings, *, jobs: bool, callback: bool = True) -> None:
    """Serve only the WeChat channel until SIGINT or SIGTERM: its callback (with the Open311 API when
    CITYBOT_OPEN311_PORT is set) unless ``callback`` is off (a worker), and the timed jobs if ``jobs``."""
    from bot.app import build_services
    from bot.serve import add_open311
    from scheduler.loops import Jobs, start_jobs, stop_jobs

    async def main() -> None:
        services = build_services(settings)
        services.default_channel = CHANNEL  # bare addresses in the configuration are WeChat OpenIDs here
        for hook in services.startup_hooks:
            await hook(services)
        channel = build_wechat(services, wechat)  # its sender delivers WeChat rows
        servers = Servers()
        served = servers.add("WeChat callback", channel.app(), wechat.listen, wechat.port) if callback else None
        if callback and settings.open311_port:
            add_open311(servers, settings, services, settings.open311_port)
        running: Jobs | None = None
        try:
            async with servers:
                if served is not None:
                    typer.echo(
                        f"WeChat callback at {served.url}{CALLBACK_PATH} (no Telegram token: WeChat only; "
                        "Ctrl-C to stop)"
                    )
                else:
                    typer.echo("WeChat worker: delivering WeChat notices and running the timed jobs (Ctrl-C to stop)")
                running = start_jobs(services) if jobs else None
                await until_stopped()
        finally:
            await stop_jobs(running)
            await channel.close()
            await services.db.dispose()

    asyncio.run(main())
