"""The API's aiohttp application (``bot.servers`` serves it: ``citybot api``, and ``citybot run`` with a port)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from aiohttp import web

from channels.open311.api import CACHE, CHANGESET, LIMITER, PUBLIC_URL, SERVICES, add_routes, errors
from channels.open311.cache import ResponseCache
from services.apikeys import RateLimiter
from services.config import DEFAULT_CONFIG_PATH
from services.context import Services
from services.photos import max_bytes
from services.public_cases import data_version


def changeset_of(config_path: Path | None) -> str:
    """When the service list last changed: the city's configuration file's modification time."""
    path = config_path or DEFAULT_CONFIG_PATH
    try:
        stamp = path.stat().st_mtime
    except OSError:
        stamp = DEFAULT_CONFIG_PATH.stat().st_mtime
    return datetime.fromtimestamp(stamp, UTC).strftime("%Y-%m-%d %H:%M")


def build_app(services: Services, *, public_url: str | None = None, changeset: str = "") -> web.Application:
    """The Open311 application over ``services`` (``public_url``: the API's address as clients see it)."""
    # Room for a photo at the size limit plus the form around it; larger bodies get the API's own 400.
    app = web.Application(middlewares=[errors], client_max_size=max_bytes(services) + 256 * 1024)
    app[SERVICES] = services
    app[LIMITER] = RateLimiter()

    async def read_version() -> tuple[object, ...]:
        return await data_version(services)

    app[CACHE] = ResponseCache(read_version, check_seconds=services.config.open311.cache_check_seconds)
    app[PUBLIC_URL] = (public_url or "").rstrip("/")
    app[CHANGESET] = changeset or changeset_of(None)
    add_routes(app)
    return app


def open311_app(
    services: Services, *, public_url: str | None = None, config_path: Path | None = None
) -> web.Application:
    """The API as deployed: its changeset from the configuration file (served by ``bot.servers``)."""
    return build_app(services, public_url=public_url, changeset=changeset_of(config_path))
