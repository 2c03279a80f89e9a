"""Reading a photo's GPS position from EXIF, with photos built in memory."""

from __future__ import annotations

import asyncio
import struct
import threading
import warnings
from io import BytesIO
from typing import Any

import pytest
from PIL import ExifTags, Image, TiffTags
from PIL.TiffImagePlugin import IFDRational

from geo import exif
from geo.exif import SCAN_BYTES, read_gps

GPS = ExifTags.GPS


def photo(gps: dict[int, Any] | None, fmt: str = "JPEG") -> bytes:
    image = Image.new("RGB", (16, 12), (200, 80, 40))
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "TestCam"
    if gps is not None:
        exif[ExifTags.IFD.GPSInfo] = gps
    out = BytesIO()
    image.save(out, fmt, exif=exif)
    return out.getvalue()


def dms(degrees: int, minutes: int, seconds_hundredths: int) -> tuple[IFDRational, ...]:
    return IFDRational(degrees, 1), IFDRational(minutes, 1), IFDRational(seconds_hundredths, 100)


def test_reads_north_east_position_from_a_jpeg() -> None:
    # Tiananmen: 39°54'27.00" N, 116°23'29.50" E.
    data = photo(
        {
            GPS.GPSLatitudeRef: "N",
            GPS.GPSLatitude: dms(39, 54, 2700),
            GPS.GPSLongitudeRef: "E",
            GPS.GPSLongitude: dms(116, 23, 2950),
        }
    )
    lat, lon = read_gps(data) or (0.0, 0.0)
    assert lat == pytest.approx(39 + 54 / 60 + 27 / 3600, abs=1e-9)
    assert lon == pytest.approx(116 + 23 / 60 + 29.5 / 3600, abs=1e-9)


def test_south_and_west_refs_make_the_position_negative() -> None:
    # Rio de Janeiro: 22°54'30" S, 43°11'47" W.
    data = photo(
        {
            GPS.GPSLatitudeRef: "S",
            GPS.GPSLatitude: dms(22, 54, 3000),
            GPS.GPSLongitudeRef: "W",
            GPS.GPSLongitude: dms(43, 11, 4700),
        }
    )
    assert read_gps(data) == pytest.approx((-(22 + 54 / 60 + 30 / 3600), -(43 + 11 / 60 + 47 / 3600)))


def test_decimal_degrees_in_the_first_rational_and_png_container() -> None:
    data = photo(
        {
            GPS.GPSLatitudeRef: "N",
            GPS.GPSLatitude: (52.5163, 0.0, 0.0),
            GPS.GPSLongitudeRef: "E",
            GPS.GPSLongitude: (13.3777, 0.0, 0.0),
        },
        fmt="PNG",
    )
    assert read_gps(data) == pytest.approx((52.5163, 13.3777))


@pytest.mark.parametrize(
    "gps",
    [
        None,  # EXIF without a GPS block
        {GPS.GPSLatitudeRef: "N", GPS.GPSLatitude: dms(39, 54, 2700)},  # latitude only
        {
            GPS.GPSLatitudeRef: "N",
            GPS.GPSLatitude: (0.0, 0.0, 0.0),
            GPS.GPSLongitudeRef: "E",
            GPS.GPSLongitude: (0.0, 0.0, 0.0),
        },  # "no fix" written as 0, 0
        {
            GPS.GPSLatitudeRef: "N",
            GPS.GPSLatitude: (IFDRational(39, 0), IFDRational(0), IFDRational(0)),
            GPS.GPSLongitudeRef: "E",
            GPS.GPSLongitude: dms(116, 23, 2950),
        },  # zero denominator
        {
            GPS.GPSLatitudeRef: "N",
            GPS.GPSLatitude: (95.0, 0.0, 0.0),
            GPS.GPSLongitudeRef: "E",
            GPS.GPSLongitude: dms(116, 23, 2950),
        },  # impossible latitude
    ],
)
def test_photos_without_a_usable_position_give_none(gps: dict[int, Any] | None) -> None:
    assert read_gps(photo(gps)) is None


def test_image_without_any_exif_gives_none() -> None:
    out = BytesIO()
    Image.new("L", (4, 4)).save(out, "JPEG")
    assert read_gps(out.getvalue()) is None


BROKEN_EXIF = b"\xff\xd8\xff\xe1\x00\x10Exif\x00\x00garbage"


@pytest.mark.parametrize("data", [b"", b"not an image at all", BROKEN_EXIF])
def test_non_images_give_none(data: bytes) -> None:
    assert read_gps(data) is None


def crafted_bigtiff(entries: int) -> bytes:
    """A BigTIFF whose first directory holds ``entries`` distinct tags: megabytes of work for a parser."""
    head = b"II" + struct.pack("<HHHQ", 43, 8, 0, 16) + struct.pack("<Q", entries)
    body = b"".join(struct.pack("<HHQQ", 1000 + i % 60000, 3, 1, 1) for i in range(entries))
    return head + body + struct.pack("<Q", 0)


def test_a_crafted_9_mb_tiff_is_parsed_only_as_far_as_its_head(monkeypatch: pytest.MonkeyPatch) -> None:
    data = crafted_bigtiff(450_000)
    assert len(data) > 9_000_000
    parsed: list[int] = []
    real_lookup = TiffTags.lookup
    monkeypatch.setattr(TiffTags, "lookup", lambda tag, group=None: parsed.append(tag) or real_lookup(tag, group))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Pillow warns about the cut-off directory
        assert read_gps(data) is None
    # A directory entry is 20 bytes and Pillow reads the directory twice: the head's worth, not 2 × 450,000.
    assert 0 < len(parsed) <= 2 * SCAN_BYTES // 20


def test_the_position_of_a_photo_with_megabytes_of_image_data_after_its_exif_is_found() -> None:
    image = Image.effect_noise((2000, 2000), 64).convert("RGB")  # noise compresses badly: a big file
    exif = Image.Exif()
    exif[ExifTags.IFD.GPSInfo] = {
        GPS.GPSLatitudeRef: "N",
        GPS.GPSLatitude: dms(39, 54, 2700),
        GPS.GPSLongitudeRef: "E",
        GPS.GPSLongitude: dms(116, 23, 2950),
    }
    out = BytesIO()
    image.save(out, "JPEG", exif=exif, quality=95)
    assert len(out.getvalue()) > 4 * SCAN_BYTES
    position = read_gps(out.getvalue())
    assert position is not None and position == pytest.approx((39.9075, 116.391528), abs=1e-5)


async def test_parsing_in_a_thread_leaves_the_event_loop_free(monkeypatch: pytest.MonkeyPatch) -> None:
    loop_ran = threading.Event()

    def slow_parse(data: bytes) -> tuple[float, float] | None:
        # Returns only once a task on the event loop has run, which it cannot while the loop is blocked here.
        assert loop_ran.wait(timeout=10)
        return (1.0, 2.0)

    monkeypatch.setattr(exif, "read_gps", slow_parse)

    async def meanwhile() -> None:
        loop_ran.set()

    parsing = asyncio.create_task(exif.read_gps_in_thread(b"big"))
    await asyncio.sleep(0)  # the parse starts in its thread
    await meanwhile()
    assert await parsing == (1.0, 2.0)
