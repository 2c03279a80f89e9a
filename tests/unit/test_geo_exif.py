"""Reading a photo's GPS position from EXIF, with photos built in memory."""

from __future__ import annotations

from io import BytesIO
from typing import Any

import pytest
from PIL import ExifTags, Image
from PIL.TiffImagePlugin import IFDRational

from geo.exif import read_gps

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
