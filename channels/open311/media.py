"""Photos in and out of the API: fetching a request's ``media_url``, and serving the photos the city publishes.

A ``media_url`` is fetched once, at filing, so the officers get the photo even if the link dies. Only http(s),
at most the configured photo size, within the configured time, and (unless the city allows it) only from public
addresses: the check sits in the resolver, so every redirect and every address a name resolves to is checked
where the connection is made. Published photos are served re-encoded without their metadata (EXIF can carry
the reporter's position, camera owner and device serial).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from functools import lru_cache
from io import BytesIO
from pathlib import Path
from typing import Any

import aiohttp
import yarl
from aiohttp.abc import AbstractResolver, ResolveResult

from channels.open311.params import BadRequest
from services.context import Services
from services.i18n import N_
from services.photos import max_bytes


class PublicOnlyResolver(AbstractResolver):
    """Resolves like the default resolver, but refuses names that lead to loopback or private addresses."""

    def __init__(self) -> None:
        self._inner = aiohttp.ThreadedResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        """Every address of ``host``, if all of them are public."""
        found = await self._inner.resolve(host, port, family)
        for item in found:
            if not ipaddress.ip_address(item["host"]).is_global:
                raise OSError(f"{host} resolves to a non-public address")
        return found

    async def close(self) -> None:
        """Close the wrapped resolver."""
        await self._inner.close()


async def fetch_media(services: Services, url: str) -> bytes:
    """The bytes at ``url``; ``BadRequest`` when they cannot be had or are too large.

    A client per fetch: filings with a ``media_url`` are few, and each then follows the configuration in force.
    """
    cfg = services.config.open311
    limit = max_bytes(services)
    resolver = None if cfg.media_private_hosts else PublicOnlyResolver()
    if resolver is not None and not _public_literal(url):
        raise BadRequest(N_("media_url could not be fetched."))
    timeout = aiohttp.ClientTimeout(total=cfg.media_timeout_seconds)
    try:
        async with (
            aiohttp.ClientSession(connector=aiohttp.TCPConnector(resolver=resolver), timeout=timeout) as http,
            http.get(url, max_redirects=3) as response,
        ):
            if response.status != 200:
                raise BadRequest(N_("media_url could not be fetched (HTTP {code})."), code=response.status)
            if (response.content_length or 0) > limit:
                raise _too_big(services)
            data = await response.content.read(limit + 1)
    except (aiohttp.ClientError, OSError, TimeoutError, ValueError):
        raise BadRequest(N_("media_url could not be fetched.")) from None
    if len(data) > limit:
        raise _too_big(services)
    return data


def _public_literal(url: str) -> bool:
    """False for a URL whose host is a non-public IP address (those are connected to without any resolving)."""
    host = (yarl.URL(url).host or "").strip("[]")
    try:
        return ipaddress.ip_address(host).is_global
    except ValueError:
        return True  # a name: the resolver checks it


def _too_big(services: Services) -> BadRequest:
    return BadRequest(
        N_("The photo is too large (at most {limit} MB)."), limit=f"{services.config.reporting.max_file_mb:g}"
    )


@lru_cache(maxsize=32)
def _stripped(path: str, _mtime_ns: int) -> tuple[bytes, str]:
    """The image at ``path`` re-encoded without metadata, and its MIME type (cached by file version)."""
    from PIL import Image, ImageOps

    with Image.open(path) as image:
        clean: Any = ImageOps.exif_transpose(image)  # keep the picture upright once its EXIF is gone
        fmt = "PNG" if image.format == "PNG" else "JPEG"
        out = BytesIO()
        clean.convert("RGB" if fmt == "JPEG" else clean.mode).save(out, fmt, quality=85)
    return out.getvalue(), Image.MIME[fmt]


async def published_bytes(services: Services, relative: str) -> tuple[bytes, str] | None:
    """The published form of a stored photo, or None if the file is gone or unreadable."""
    path = services.data_dir / relative
    try:
        stat = await asyncio.to_thread(Path(path).stat)
        return await asyncio.to_thread(_stripped, str(path), stat.st_mtime_ns)
    except OSError:
        return None
