"""``citybot api``: the Open311 GeoReport v2 API on its own, and the same API beside the bot in ``citybot run``."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import typer

from bot.settings import Settings
from services.context import Services

DEFAULT_PORT = 8311

log = logging.getLogger(__name__)


async def _serve(services: Services, settings: Settings, port: int) -> Any:
    from channels.open311.server import start_open311

    return await start_open311(
        services, settings.open311_listen, port, public_url=settings.open311_public_url, config_path=settings.config
    )


async def post_callbacks(services: Services) -> None:
    """Deliver the outbox rows of the registered channels every ``outbox.interval_seconds``, until cancelled.

    ``citybot api`` alone has no bot and no job queue; this loop posts its clients' status updates (the Telegram
    rows are left to ``citybot run``/``worker``, which have a sender for them).
    """
    from services.delivery import deliver_due

    while True:
        try:
            await deliver_due(services)
        except Exception:
            log.exception("callback delivery pass failed; the next pass retries")
        await asyncio.sleep(services.config.outbox.interval_seconds)


def attach_open311(settings: Settings, application: Any) -> None:
    """Serve the API inside the bot's process when ``CITYBOT_OPEN311_PORT`` is set (started after the bot's
    start-up hooks, so the grid index is there; stopped with the bot)."""
    port = settings.open311_port
    if not port:
        return
    services: Services = application.bot_data["services"]
    runners: list[Any] = []

    async def start(svc: Services) -> None:
        runners.append(await _serve(svc, settings, port))

    async def stop(_app: Any) -> None:
        for runner in runners:
            await runner.cleanup()

    services.startup_hooks.append(start)
    application.post_stop = stop


def api_command(
    port: int | None = typer.Option(
        None, help=f"Port to listen on (default CITYBOT_OPEN311_PORT, else {DEFAULT_PORT})"
    ),
) -> None:
    """Serve only the Open311 GeoReport v2 API at /open311/v2 (CITYBOT_OPEN311_LISTEN, default 127.0.0.1)."""
    from bot.app import build_services
    from bot.cli import load_settings, setup_logging
    from channels.open311.callback import Open311CallbackSender
    from models.migrate import upgrade_sync

    settings = load_settings()
    setup_logging(settings)
    upgrade_sync(settings.database_url)
    chosen = port or settings.open311_port or DEFAULT_PORT

    async def main() -> None:
        services = build_services(settings)
        for hook in services.startup_hooks:
            await hook(services)
        callbacks = Open311CallbackSender(services)
        services.channels.register(callbacks)
        runner = await _serve(services, settings, chosen)
        posting = asyncio.create_task(post_callbacks(services), name="open311-callbacks")
        typer.echo(
            f"Open311 API at http://{settings.open311_listen}:{chosen}/open311/v2/discovery.json (Ctrl-C to stop)"
        )
        try:
            await asyncio.Event().wait()
        finally:
            posting.cancel()
            await runner.cleanup()
            await callbacks.close()
            await services.db.dispose()

    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
