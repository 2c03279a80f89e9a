"""Report photos: which uploads are accepted, and the evidence copy kept on disk beside the channel's file id.

Copies live under ``data_dir / reporting.photo_dir / YYYY / MM / <random>.<ext>``; a photo row stores
that path relative to ``data_dir``, so the data directory can move. Every upload gets its own file, so
removing the copies of an abandoned draft never touches a photo another report uses.
"""

from __future__ import annotations

import asyncio
import enum
import logging
import uuid
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select, update

from models.cases import Photo, PhotoKind
from models.uow import UnitOfWork
from services.channels import Rejected
from services.context import Services
from services.photo_fit import PhotoLimits, fit_jpeg

log = logging.getLogger(__name__)

#: Fetches a file's bytes by its chat-platform file id (the adapter supplies it; None if unavailable).
Fetch = Callable[[str], Awaitable[bytes | None]]
#: A copy still missing after this long is fetched again by the sweep; older ones are given up on.
BACKFILL_AFTER = timedelta(minutes=1)
BACKFILL_WITHIN = timedelta(days=1)

# Vector images can carry scripts and are never a photograph of a street.
_REFUSED_IMAGE_TYPES = frozenset({"image/svg+xml"})
_SUFFIXES = {
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/webp": ".webp",
    "image/heic": ".heic",
    "image/heif": ".heif",
    "image/gif": ".gif",
    "image/tiff": ".tif",
    "image/bmp": ".bmp",
}


class UploadProblem(enum.StrEnum):
    NOT_IMAGE = "not_image"
    TOO_BIG = "too_big"


@dataclass(frozen=True)
class IncomingPhoto:
    """A photo as the chat platform describes it, plus what was learned from its bytes."""

    file_id: str
    file_unique_id: str = ""
    width: int | None = None
    height: int | None = None
    file_size: int | None = None
    media_group_id: str | None = None
    local_path: str | None = None
    exif_location: tuple[float, float] | None = None
    #: The channel whose picture id ``file_id`` is (None: only the kept copy can show it again).
    channel: str | None = None


def max_bytes(services: Services) -> int:
    """The largest upload accepted, in bytes."""
    return int(services.config.reporting.max_file_mb * 1024 * 1024)


def check_upload(services: Services, mime_type: str | None, file_size: int | None) -> UploadProblem | None:
    """Why an upload is refused (not an image, too big), or None when it is acceptable."""
    mime = (mime_type or "").lower()
    if not mime.startswith("image/") or mime in _REFUSED_IMAGE_TYPES:
        return UploadProblem.NOT_IMAGE
    if file_size is not None and file_size > max_bytes(services):
        return UploadProblem.TOO_BIG
    return None


@dataclass(frozen=True)
class SniffedImage:
    """What the bytes of an upload turned out to be."""

    mime_type: str
    width: int
    height: int


def sniff_image(data: bytes) -> SniffedImage | None:
    """The image type and size read from the bytes themselves (a client's declared type can lie), or None."""
    from io import BytesIO

    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(BytesIO(data)) as image:
            mime = Image.MIME.get(image.format or "", "")
            width, height = image.size
            image.verify()  # a truncated or corrupt file fails here, before anyone is sent it
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        return None
    return SniffedImage(mime, width, height) if mime else None


def suffix_for(mime_type: str | None) -> str:
    """A file name suffix for the image type (compressed chat photos are JPEG)."""
    return _SUFFIXES.get((mime_type or "image/jpeg").lower(), ".img")


def absolute_path(services: Services, relative: str) -> Path:
    """Where a stored copy lives on this machine."""
    return services.data_dir / relative


async def save_copy(services: Services, data: bytes, mime_type: str | None = None) -> str:
    """Write ``data`` as a new evidence copy; returns its path relative to ``data_dir``."""
    relative = _copy_name(services, mime_type)
    target = services.data_dir / relative
    partial = await asyncio.to_thread(_write_partial, target, data)
    await asyncio.to_thread(partial.replace, target)  # never leave half a photo under the final name
    return relative


def _copy_name(services: Services, mime_type: str | None) -> str:
    now = services.clock.now().astimezone(services.tz)
    folder = Path(services.config.reporting.photo_dir) / f"{now:%Y}" / f"{now:%m}"
    return (folder / f"{uuid.uuid4().hex}{suffix_for(mime_type)}").as_posix()


def _write_partial(target: Path, data: bytes) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(target.suffix + ".part")
    partial.write_bytes(data)
    return partial


async def remove_copies(services: Services, relatives: Iterable[str | None]) -> int:
    """Delete the copies of photos nobody will submit; returns how many files went away."""
    paths = [absolute_path(services, rel) for rel in relatives if rel]
    return await asyncio.to_thread(_unlink_all, paths)


def _unlink_all(paths: list[Path]) -> int:
    removed = 0
    for path in paths:
        try:
            path.unlink()
            removed += 1
        except FileNotFoundError:
            continue
        except OSError:
            log.warning("could not remove photo copy %s", path, exc_info=True)
    return removed


async def attach_copy(services: Services, photo_id: int, data: bytes, mime_type: str | None = None) -> str:
    """Store the evidence copy of an already saved photo row (fetched after the user got their answer).

    The bytes are written under a partial name first; the copy takes its final name only while this transaction
    holds the photo's row, so a /cancel or an expiry deleting the row either comes first (nothing is kept) or
    waits and is handed the path to remove.
    """
    relative = _copy_name(services, mime_type)
    target = services.data_dir / relative
    partial = await asyncio.to_thread(_write_partial, target, data)
    try:
        async with UnitOfWork(services.db) as uow:
            done = await uow.session.execute(
                update(Photo).where(Photo.id == photo_id, Photo.local_path.is_(None)).values(local_path=relative)
            )
            if done.rowcount == 1:  # type: ignore[attr-defined]
                await asyncio.to_thread(partial.replace, target)
            await uow.commit()
    except BaseException:
        await asyncio.to_thread(_unlink_all, [partial, target])
        raise
    if done.rowcount != 1:  # type: ignore[attr-defined]
        await asyncio.to_thread(_unlink_all, [partial])  # the draft is gone, or another worker was faster
    return relative


async def backfill_copies(services: Services, fetch: Fetch, limit: int = 20) -> int:
    """Fetch the copies of recent report photos that have none (a crash came between answer and download)."""
    now = services.clock.now()
    # Only the newest rows are candidates: the primary key bounds the scan however large the table grows.
    newest = select(Photo.id).order_by(Photo.id.desc()).limit(5000).subquery()
    query = (
        select(Photo.id, Photo.file_id)
        .where(
            Photo.id.in_(select(newest.c.id)),
            Photo.kind == PhotoKind.REPORT,
            Photo.local_path.is_(None),
            Photo.created_at < now - BACKFILL_AFTER,
            Photo.created_at > now - BACKFILL_WITHIN,
            (Photo.case_id.is_not(None)) | (Photo.draft_id.is_not(None)),
        )
        .order_by(Photo.id)
        .limit(limit)
    )
    async with UnitOfWork(services.db) as uow:
        missing = list((await uow.session.execute(query)).all())
    stored = 0
    for photo_id, file_id in missing:
        data = await fetch(file_id)
        if data is not None:
            await attach_copy(services, photo_id, data)
            stored += 1
    return stored


@dataclass(frozen=True)
class KeptPhoto:
    """Where a photo can be had: its kept copy on this machine, and the channel whose file id it also has."""

    path: Path | None
    channel: str | None
    file_id: str | None


async def kept_photos(services: Services, photo_ids: Iterable[int]) -> dict[int, KeptPhoto]:
    """Each photo's kept copy (if any) and channel file id; unknown ids are left out."""
    ids = list(photo_ids)
    if not ids:
        return {}
    async with UnitOfWork(services.db) as uow:
        query = select(Photo.id, Photo.local_path, Photo.channel, Photo.file_id).where(Photo.id.in_(ids))
        rows = (await uow.session.execute(query)).all()
    return {
        pid: KeptPhoto(absolute_path(services, path) if path else None, channel, file_id)
        for pid, path, channel, file_id in rows
    }


def without_metadata(path: Path, limits: PhotoLimits) -> bytes:
    """A kept copy re-encoded as a JPEG with no EXIF (position, device), turned upright, within ``limits``.

    What a channel sends when it shows a report's picture: never the original with its GPS and device data, and
    never more than the channel's platform accepts as a photo (``services.photo_fit``: an extreme strip is padded,
    a large picture scaled down, its quality lowered until the bytes fit). An unreadable file is Rejected (the
    message is dropped, not retried).
    """
    from PIL import Image, ImageOps

    try:
        with Image.open(path) as image:
            upright = ImageOps.exif_transpose(image).convert("RGB")
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        raise Rejected(f"the kept copy {path.name} is not a readable image") from exc
    return fit_jpeg(upright, limits)
