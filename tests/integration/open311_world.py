"""The Open311 API served over a test city: grid G-1 with one officer, an API key, a free port."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from io import BytesIO

from PIL import Image

from bot.servers import Site
from channels.open311.server import open311_app
from models.users import User
from services import routing
from services.apikeys import KeyInfo, create_key
from services.context import Services
from tests.world import INSIDE, OUTSIDE, free_port, make_grid

__all__ = ["INSIDE", "OUTSIDE", "Api", "free_port", "jpeg_bytes", "running_api"]


@dataclass
class Api:
    """A running API: its base URL, a working key and the services behind it."""

    url: str
    key: str
    info: KeyInfo
    services: Services
    officer: User | None


def jpeg_bytes(size: tuple[int, int] = (64, 48), exif_gps: bool = False) -> bytes:
    """A small real JPEG (optionally with an EXIF block, to see that published copies drop it)."""
    image = Image.new("RGB", size, (200, 40, 40))
    out = BytesIO()
    if exif_gps:
        exif = Image.Exif()
        exif[0x010F] = "SecretCam"  # Make
        exif[0x013B] = "Reporter Name"  # Artist
        image.save(out, "JPEG", exif=exif)
    else:
        image.save(out, "JPEG")
    return out.getvalue()


@asynccontextmanager
async def running_api(services: Services, *, rate: str = "600/min", officer: bool = True) -> AsyncIterator[Api]:
    """Grid G-1 (with an officer unless told otherwise), a key, and the API on a free port."""
    found = await make_grid(services, with_officer=officer)
    await routing.load_grid_index(services)
    info, key = await create_key(services, "hotline", rate)
    async with Site("Open311 API", open311_app(services)) as site:
        yield Api(f"{site.url}/open311/v2", key, info, services, found)
