"""A kept copy as the channels send it: upright, re-encoded, with no EXIF; an unreadable copy is refused."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from services.channels import Rejected
from services.photos import without_metadata


def test_position_and_device_are_dropped_and_the_picture_is_turned_upright(tmp_path: Path) -> None:
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0112] = 6  # Orientation: rotate 90° clockwise to view
    path = tmp_path / "kept.jpg"
    Image.new("RGB", (40, 20), "red").save(path, "JPEG", exif=exif)

    data = without_metadata(path)

    with Image.open(io.BytesIO(data)) as sent:
        assert sent.format == "JPEG"
        assert sent.size == (20, 40)
        assert dict(sent.getexif()) == {}


def test_an_unreadable_copy_is_rejected_with_its_name(tmp_path: Path) -> None:
    path = tmp_path / "broken.jpg"
    path.write_bytes(b"not a picture")

    with pytest.raises(Rejected, match=r"broken\.jpg is not a readable image"):
        without_metadata(path)
