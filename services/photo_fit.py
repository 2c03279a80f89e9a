"""A picture made to fit a channel's photo limits: dimensions first, then bytes.

The channel adapter says what its platform accepts (``PhotoLimits``); this module only obeys it. A picture whose
sides are more unequal than the ratio allows is padded (a neutral grey band either side, centred), never cropped:
what a citizen photographed is evidence, so none of it is cut away. Then the picture is scaled down until its
sides fit, and its JPEG quality lowered (and, past a floor, the picture scaled down further) until its bytes fit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from io import BytesIO

from PIL import Image

#: JPEG quality tried first, the steps down, and the lowest used before the picture is made smaller instead.
FIRST_QUALITY = 90
QUALITY_STEP = 10
LOWEST_QUALITY = 60
#: The colour of the bands that bring an extreme strip to the allowed ratio.
PADDING = (128, 128, 128)


@dataclass(frozen=True)
class PhotoLimits:
    """What a platform accepts as a photo: bytes, and optionally width + height and the sides' ratio."""

    max_bytes: int
    max_side_sum: int | None = None  # width + height
    max_ratio: float | None = None  # the longer side over the shorter one


def fit_jpeg(image: Image.Image, limits: PhotoLimits) -> bytes:
    """``image`` (already upright, RGB) as a JPEG without metadata that meets ``limits``."""
    picture = _fit_dimensions(image, limits)
    quality = FIRST_QUALITY
    while True:
        data = _encode(picture, quality)
        if len(data) <= limits.max_bytes:
            return data
        if quality - QUALITY_STEP >= LOWEST_QUALITY:
            quality -= QUALITY_STEP
            continue
        # Bytes grow about with the area: aim a little under the limit, and never shrink by less than 10%.
        factor = min(0.9, math.sqrt(limits.max_bytes / len(data)) * 0.95)
        picture = _padded(_scaled(picture, factor), limits.max_ratio)


def _fit_dimensions(image: Image.Image, limits: PhotoLimits) -> Image.Image:
    """Padded to the ratio, then scaled so that width + height fit.

    Scaling rounds down, which can leave the shorter side a pixel short of the ratio: padding again adds at most
    that pixel, which the sides' rounding down has left room for (unless nothing was rounded, and then the ratio
    still holds).
    """
    picture = _padded(image, limits.max_ratio)
    total = picture.width + picture.height
    if limits.max_side_sum is not None and total > limits.max_side_sum:
        picture = _padded(_scaled(picture, limits.max_side_sum / total), limits.max_ratio)
    return picture


def _padded(image: Image.Image, max_ratio: float | None) -> Image.Image:
    """``image`` centred on a grey canvas whose shorter side brings the ratio to ``max_ratio``; unchanged if within."""
    width, height = image.size
    if max_ratio is None:
        return image
    longer, shorter = max(width, height), min(width, height)
    if longer <= max_ratio * shorter:
        return image
    needed = math.ceil(longer / max_ratio)
    size = (width, needed) if width >= height else (needed, height)
    canvas = Image.new("RGB", size, PADDING)
    canvas.paste(image, ((size[0] - width) // 2, (size[1] - height) // 2))
    return canvas


def _scaled(image: Image.Image, factor: float) -> Image.Image:
    """``image`` made smaller by ``factor``, each side rounded down (so their sum stays within a bound)."""
    size = (max(1, math.floor(image.width * factor)), max(1, math.floor(image.height * factor)))
    return image.resize(size, Image.Resampling.LANCZOS)


def _encode(image: Image.Image, quality: int) -> bytes:
    out = BytesIO()
    image.save(out, "JPEG", quality=quality)  # no exif= given: Pillow writes none
    return out.getvalue()
