"""Stored files with Telegram-like ids, photo sizes made with Pillow, and getFile paths."""

from __future__ import annotations

import hashlib
import io
import mimetypes
from dataclasses import dataclass, field

from PIL import Image, UnidentifiedImageError

from sandbox.errors import JSON, bad_request

# Telegram keeps a 90 px and a 320 px preview next to the photo itself.
_PREVIEW_SIDES = (90, 320)
#: What a bot may upload as a photo: at most 10 MB (counted in bytes, 10 × 1024 × 1024, before the image is read),
#: width + height at most 10,000, and neither side more than 20 times the other.
MAX_PHOTO_BYTES = 10 * 1024 * 1024
MAX_PHOTO_SIDE_SUM = 10_000
MAX_PHOTO_RATIO = 20


@dataclass
class StoredFile:
    """One file the sandbox holds, with the metadata its Bot API objects need."""

    file_id: str
    file_unique_id: str
    kind: str
    data: bytes
    file_path: str
    file_name: str | None = None
    mime_type: str | None = None
    width: int | None = None
    height: int | None = None
    siblings: list[str] = field(default_factory=list)  # the PhotoSize ids of the same photo, small first
    downloads: int = 0  # how often a bot fetched the bytes (tests check what a bot never downloaded)

    def file_json(self) -> JSON:
        """The `File` object getFile answers with."""
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": len(self.data),
            "file_path": self.file_path,
        }

    def photo_size_json(self) -> JSON:
        """This file as a `PhotoSize`."""
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "width": self.width or 0,
            "height": self.height or 0,
            "file_size": len(self.data),
        }

    def document_json(self) -> JSON:
        """This file as a `Document`."""
        doc: JSON = {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": len(self.data),
        }
        if self.file_name:
            doc["file_name"] = self.file_name
        if self.mime_type:
            doc["mime_type"] = self.mime_type
        return doc


class FileStore:
    """Files in memory, addressable by file_id and by the file_path getFile hands out."""

    def __init__(self) -> None:
        self._by_id: dict[str, StoredFile] = {}
        self._by_path: dict[str, StoredFile] = {}
        self._count = 0

    def add(
        self,
        data: bytes,
        kind: str,
        *,
        file_name: str | None = None,
        mime_type: str | None = None,
        width: int | None = None,
        height: int | None = None,
    ) -> StoredFile:
        """Store bytes as a new file of `kind` ("photos", "documents", "voice"...)."""
        self._count += 1
        digest = hashlib.sha256(data).hexdigest()
        extension = _extension(file_name, mime_type)
        stored = StoredFile(
            file_id=f"{kind[:3].upper()}{self._count:06d}-{digest[:16]}",
            file_unique_id=f"U{digest[:12]}{width or ''}",
            kind=kind,
            data=data,
            file_path=f"{kind}/file_{self._count}{extension}",
            file_name=file_name,
            mime_type=mime_type,
            width=width,
            height=height,
        )
        self._by_id[stored.file_id] = stored
        self._by_path[stored.file_path] = stored
        return stored

    def get(self, file_id: str) -> StoredFile:
        """The file with this id, or Telegram's 400 for an unknown id."""
        stored = self._by_id.get(file_id)
        if stored is None:
            raise bad_request("wrong file identifier/HTTP URL specified")
        return stored

    def by_path(self, file_path: str) -> StoredFile | None:
        """The file served under this download path, if any."""
        return self._by_path.get(file_path)

    def add_photo(self, data: bytes) -> list[JSON]:
        """Store a photo and its previews; returns the `PhotoSize` list, largest last."""
        try:
            with Image.open(io.BytesIO(data)) as image:
                image.load()
                sizes = [_preview(image, side) for side in _PREVIEW_SIDES if max(image.size) > side]
                full = _without_metadata(image, data)
                width, height = image.size
        except (UnidentifiedImageError, OSError) as exc:
            raise bad_request("IMAGE_PROCESS_FAILED") from exc
        stored = [self.add(blob, "photos", mime_type="image/jpeg", width=w, height=h) for blob, w, h in sizes]
        stored.append(self.add(full, "photos", mime_type="image/jpeg", width=width, height=height))
        ids = [item.file_id for item in stored]
        for item in stored:
            item.siblings = ids
        return [item.photo_size_json() for item in stored]

    def photo_sizes(self, file_id: str) -> list[JSON]:
        """The `PhotoSize` list of the photo a file_id belongs to (resending a photo by id)."""
        stored = self.get(file_id)
        if stored.kind != "photos":
            raise bad_request(f"can't use file of type {stored.kind.rstrip('s').title()} as Photo")
        return [self._by_id[sibling].photo_size_json() for sibling in stored.siblings]


def check_photo_upload(data: bytes) -> None:
    """Telegram's 400 for a photo a bot uploads over 10 MB or with dimensions it refuses; nothing otherwise.

    (A person's photo never meets these: their app scales it down before sending.)
    """
    if len(data) > MAX_PHOTO_BYTES:
        raise bad_request(
            f"file of size {len(data)} bytes is too big for a photo; the maximum size is {MAX_PHOTO_BYTES} bytes"
        )
    try:
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
    except (UnidentifiedImageError, OSError) as exc:
        raise bad_request("IMAGE_PROCESS_FAILED") from exc
    if width + height > MAX_PHOTO_SIDE_SUM or max(width, height) > MAX_PHOTO_RATIO * min(width, height):
        raise bad_request("PHOTO_INVALID_DIMENSIONS")


def _preview(image: Image.Image, side: int) -> tuple[bytes, int, int]:
    copy = image.convert("RGB")
    copy.thumbnail((side, side))
    out = io.BytesIO()
    copy.save(out, format="JPEG", quality=80)
    return out.getvalue(), copy.width, copy.height


def _without_metadata(image: Image.Image, data: bytes) -> bytes:
    """Photos sent "as photo" lose their EXIF on Telegram; other bytes are kept as uploaded."""
    if not image.getexif() and "exif" not in image.info:
        return data
    out = io.BytesIO()
    image.convert("RGB").save(out, format="JPEG", quality=95)
    return out.getvalue()


def _extension(file_name: str | None, mime_type: str | None) -> str:
    if file_name and "." in file_name:
        return "." + file_name.rsplit(".", 1)[1].lower()
    guessed = mimetypes.guess_extension(mime_type) if mime_type else None
    return guessed or ""
