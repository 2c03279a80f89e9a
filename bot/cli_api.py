"""``citybot api``: the Open311 GeoReport v2 API on its own, and the same API beside the bot in ``citybot run``."""

from __future__ import annotations

import asyncio
from typing import Any

import typer

from bot.settings import Settings
from services.context import Services

DEFAULT_PORT = 8311


async def _serve(services: Services, settings: Settings, port: int) -> Any:
    from channels.open311.server import start_open311

    return await start_open311(
        services, settings.open311_listen, port, public_url=settings.open311_public_url, config_path=settings.config
    )


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
    from models.migrate import upgrade_sync

    settings = load_settings()
    setup_logging(settings)
    upgrade_sync(settings.database_url)
    chosen = port or settings.open311_port or DEFAULT_PORT

    async def main() -> None:
        services = build_services(settings)
        for hook in services.startup_hooks:
            await hook(services)
        runner = await _serve(services, settings, chosen)
        typer.echo(
            f"Open311 API at http://{settings.open311_listen}:{chosen}/open311/v2/discovery.json (Ctrl-C to stop)"
        )
        try:
            await asyncio.Event().wait()
        finally:
            await runner.cleanup()
            await services.db.dispose()

    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
