"""Read the GPS position a camera wrote into a photo's EXIF data.

Chat apps strip EXIF from photos sent "as photo"; a photo sent "as file" keeps it, so this is how a
report can get its location from the picture. Phone GPS is WGS-84.

Files come from strangers, and Pillow parses a TIFF directory entry by entry in Python: a crafted 9 MB BigTIFF
of directory entries took 1.4 s. Only the head of a file is read (cameras write EXIF at the start: a JPEG's
APP1 segment is at most 64 KiB), which bounds the work; a position written further in (some TIFF and WebP files)
is not found. ``read_gps_in_thread`` keeps even that off the event loop.
"""

from __future__ import annotations

import asyncio
import math
from io import BytesIO
from typing import Any

from PIL import ExifTags, Image

from geo.crs import InvalidCoordinates, validate_latlon

_GPS = ExifTags.GPS
#: How much of a file is parsed for EXIF.
SCAN_BYTES = 128 * 1024


def read_gps(image_bytes: bytes) -> tuple[float, float] | None:
    """The WGS-84 ``(lat, lon)`` in the EXIF at the head of the image, or None without a usable position."""
    try:
        with Image.open(BytesIO(image_bytes[:SCAN_BYTES])) as image:
            gps: dict[int, Any] = dict(image.getexif().get_ifd(ExifTags.IFD.GPSInfo))
    except Exception:  # photos come from strangers: any decoding failure just means "no position"
        return None
    lat = _signed_degrees(gps.get(_GPS.GPSLatitude), gps.get(_GPS.GPSLatitudeRef), negative="S")
    lon = _signed_degrees(gps.get(_GPS.GPSLongitude), gps.get(_GPS.GPSLongitudeRef), negative="W")
    if lat is None or lon is None:
        return None
    try:
        return validate_latlon(lat, lon)
    except InvalidCoordinates:  # includes the (0, 0) some cameras write when they had no fix
        return None


async def read_gps_in_thread(image_bytes: bytes) -> tuple[float, float] | None:
    """``read_gps`` in a worker thread, so parsing a stranger's file never holds up the event loop."""
    return await asyncio.to_thread(read_gps, image_bytes)


def _signed_degrees(value: Any, ref: Any, *, negative: str) -> float | None:
    """Degrees from EXIF's (degrees, minutes, seconds) rationals, negative for S or W."""
    if value is None:
        return None
    parts = value if isinstance(value, tuple | list) else (value,)
    if not 1 <= len(parts) <= 3:
        return None
    total = 0.0
    for part, scale in zip(parts, (1.0, 60.0, 3600.0), strict=False):
        number = _rational(part)
        if number is None:
            return None
        total += number / scale
    if isinstance(ref, bytes):
        ref = ref.decode("ascii", errors="ignore")
    sign = -1.0 if isinstance(ref, str) and ref.strip("\x00 ").upper() == negative else 1.0
    return sign * abs(total)


def _rational(part: Any) -> float | None:
    """A finite float from an IFDRational, a number or an old-style (numerator, denominator) pair."""
    try:
        if isinstance(part, tuple) and len(part) == 2:
            number = float(part[0]) / float(part[1])
        else:
            number = float(part)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    return number if math.isfinite(number) else None
