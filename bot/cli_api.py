"""``citybot api``: the Open311 GeoReport v2 API on its own (``citybot run`` serves it beside the bot, bot/serve.py)."""

from __future__ import annotations

import asyncio
import contextlib
import logging

import typer

from services.context import Services

DEFAULT_PORT = 8311

log = logging.getLogger(__name__)


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


def api_command(
    port: int | None = typer.Option(
        None, help=f"Port to listen on (default CITYBOT_OPEN311_PORT, else {DEFAULT_PORT})"
    ),
) -> None:
    """Serve only the Open311 GeoReport v2 API at /open311/v2 (CITYBOT_OPEN311_LISTEN, default 127.0.0.1)."""
    from bot.app import build_services
    from bot.cli import load_settings, setup_logging
    from bot.serve import add_open311
    from bot.servers import Servers, until_stopped
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
        servers = Servers()
        add_open311(servers, settings, services, chosen)
        try:
            async with servers:
                posting = asyncio.create_task(post_callbacks(services), name="open311-callbacks")
                typer.echo(
                    f"Open311 API at http://{settings.open311_listen}:{chosen}/open311/v2/discovery.json "
                    "(Ctrl-C to stop)"
                )
                try:
                    await until_stopped()
                finally:
                    posting.cancel()
                    # Let a pass that was writing end its unit of work before the database is closed under it.
                    with contextlib.suppress(asyncio.CancelledError):
                        await posting
        finally:
            await callbacks.close()
            await services.db.dispose()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main())
