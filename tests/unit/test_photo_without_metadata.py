"""A kept copy as the channels send it: upright, re-encoded, with no EXIF, within the channel's photo limits; an
unreadable copy is refused."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from PIL import Image

from channels.telegram.limits import MAX_PHOTO_BYTES, MAX_PHOTO_RATIO, MAX_PHOTO_SIDE_SUM, PHOTO_LIMITS
from channels.wechat.sender import PHOTO_LIMITS as WECHAT_LIMITS
from services.channels import Rejected
from services.photo_fit import PhotoLimits
from services.photos import without_metadata

ORIENTATION, MAKE = 0x0112, 0x010F


def kept(tmp_path: Path, image: Image.Image, name: str = "kept.jpg", rotated: bool = False) -> Path:
    """``image`` stored as a phone would: with its maker, and (``rotated``) an Orientation asking for 90° CW."""
    exif = Image.Exif()
    exif[MAKE] = "PhoneMaker"
    if rotated:
        exif[ORIENTATION] = 6
    path = tmp_path / name
    if name.endswith(".png"):
        image.save(path, "PNG", exif=exif)
    else:
        image.save(path, "JPEG", exif=exif, quality=95)
    return path


def opened(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def fits(width: int, height: int, size: int, limits: PhotoLimits) -> bool:
    """Whether a picture of these dimensions and bytes is within ``limits``, as the platform checks it."""
    if size > limits.max_bytes:
        return False
    if limits.max_side_sum is not None and width + height > limits.max_side_sum:
        return False
    return limits.max_ratio is None or max(width, height) <= limits.max_ratio * min(width, height)


def assert_sendable(data: bytes, limits: PhotoLimits) -> Image.Image:
    """The bytes are a JPEG within ``limits`` with no EXIF at all."""
    sent = opened(data)
    assert sent.format == "JPEG"
    assert fits(sent.width, sent.height, len(data), limits), (sent.size, len(data))
    assert dict(sent.getexif()) == {} and "exif" not in sent.info
    return sent


def test_position_and_device_are_dropped_and_the_picture_is_turned_upright(tmp_path: Path) -> None:
    path = kept(tmp_path, Image.new("RGB", (40, 20), "red"), rotated=True)

    sent = assert_sendable(without_metadata(path, PHOTO_LIMITS), PHOTO_LIMITS)

    assert sent.size == (20, 40)


def test_a_noisy_picture_too_heavy_at_quality_90_is_made_to_fit_10_mb(tmp_path: Path) -> None:
    noise = Image.frombytes("RGB", (4000, 3000), os.urandom(4000 * 3000 * 3))
    path = kept(tmp_path, noise, "noise.jpg")
    plain = io.BytesIO()
    noise.save(plain, "JPEG", quality=90)
    assert len(plain.getvalue()) > MAX_PHOTO_BYTES  # what was sent before: Telegram would refuse it

    for limits in (PHOTO_LIMITS, WECHAT_LIMITS):
        sent = assert_sendable(without_metadata(path, limits), limits)
        assert sent.size == (4000, 3000)  # a lower quality was enough: the picture keeps its size


def test_a_picture_whose_sides_add_up_to_over_10000_is_scaled_down_keeping_its_shape(tmp_path: Path) -> None:
    path = kept(tmp_path, Image.new("RGB", (3000, 9000), (30, 90, 160)), rotated=True)  # shown 9000 wide

    sent = assert_sendable(without_metadata(path, PHOTO_LIMITS), PHOTO_LIMITS)

    assert sent.width > sent.height  # upright
    assert MAX_PHOTO_SIDE_SUM - 2 <= sent.width + sent.height <= MAX_PHOTO_SIDE_SUM  # no smaller than needed
    assert sent.width / sent.height == pytest.approx(3, rel=0.01)


def test_a_strip_of_30_to_1_is_padded_to_20_to_1_with_all_of_it_kept(tmp_path: Path) -> None:
    strip = Image.new("RGB", (3000, 100), (220, 30, 30))
    path = kept(tmp_path, strip, "strip.png")

    sent = assert_sendable(without_metadata(path, PHOTO_LIMITS), PHOTO_LIMITS).convert("RGB")

    assert sent.size == (3000, 3000 // MAX_PHOTO_RATIO)  # as wide as before: nothing cut off
    middle, band = sent.getpixel((1500, 75)), sent.getpixel((1500, 5))
    assert isinstance(middle, tuple) and isinstance(band, tuple)
    assert middle[0] > 180 and middle[1] < 80  # the strip itself, centred
    assert all(100 < channel < 160 for channel in band)  # a neutral band above it


def test_a_tall_thin_strip_that_is_also_too_long_fits_both_limits(tmp_path: Path) -> None:
    path = kept(tmp_path, Image.new("RGB", (200, 12000), "blue"), "pole.png")

    sent = assert_sendable(without_metadata(path, PHOTO_LIMITS), PHOTO_LIMITS)

    assert sent.height > sent.width


def test_wechat_sets_no_bound_on_dimensions(tmp_path: Path) -> None:
    path = kept(tmp_path, Image.new("RGB", (9000, 2000), "green"), "wide.png")

    sent = assert_sendable(without_metadata(path, WECHAT_LIMITS), WECHAT_LIMITS)

    assert sent.size == (9000, 2000)


def test_an_unreadable_copy_is_rejected_with_its_name(tmp_path: Path) -> None:
    path = tmp_path / "broken.jpg"
    path.write_bytes(b"not a picture")

    with pytest.raises(Rejected, match=r"broken\.jpg is not a readable image"):
        without_metadata(path, PHOTO_LIMITS)
