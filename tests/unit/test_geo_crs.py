"""Coordinate conversions against published reference points, round trips and validation."""

from __future__ import annotations

import math

import numpy as np
import pytest
from geopy.distance import geodesic

from geo.crs import (
    InvalidCoordinates,
    bd09_to_gcj02,
    bd09_to_wgs84,
    from_wgs84,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    gcj02_to_wgs84_arrays,
    to_wgs84,
    validate_latlon,
    wgs84_to_bd09,
    wgs84_to_gcj02,
    wgs84_to_gcj02_arrays,
)


def metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    return float(geodesic(a, b).meters)


def test_wgs84_to_gcj02_matches_amap_conversion_api_example() -> None:
    # The example in AMap's coordinate-conversion web API documentation (Wangjing, Beijing),
    # published to six decimals: GPS 39.990475, 116.481499 -> 39.991754, 116.487586.
    lat, lon = wgs84_to_gcj02(39.990475, 116.481499)
    assert lat == pytest.approx(39.991754, abs=1e-6)
    assert lon == pytest.approx(116.487586, abs=1e-6)


def test_gcj02_to_bd09_matches_amap_example_chain() -> None:
    # The same AMap point carried on to Baidu: GCJ-02 39.991754, 116.487586 -> BD-09 39.997716, 116.49412.
    lat, lon = gcj02_to_bd09(39.991754, 116.487586)
    assert lat == pytest.approx(39.997716, abs=1e-6)
    assert lon == pytest.approx(116.49412, abs=1e-6)


def test_gcj02_to_bd09_beijing_railway_station() -> None:
    # Beijing railway station: GCJ-02 (39.90245, 116.42703) is BD-09 (39.90851, 116.43351).
    lat, lon = gcj02_to_bd09(39.90245, 116.42703)
    assert (lat, lon) == pytest.approx((39.90851, 116.43351), abs=1e-5)


def test_wgs84_to_gcj02_tiananmen_vector_to_full_precision() -> None:
    # The (39.915, 116.404) Tiananmen point is the common test vector of WGS-84/GCJ-02 converters.
    lat, lon = wgs84_to_gcj02(39.915, 116.404)
    assert lat == pytest.approx(39.91640428150164, abs=1e-10)
    assert lon == pytest.approx(116.41024449916938, abs=1e-10)


def test_bd09_to_gcj02_tiananmen_vector_within_half_a_metre() -> None:
    # Reference from the closed-form inverse (BD-09 39.915, 116.404 -> 39.90865673957631, 116.39762729119315);
    # ours is the exact inverse of the forward formula, which differs from the closed form by centimetres.
    result = bd09_to_gcj02(39.915, 116.404)
    assert metres(result, (39.90865673957631, 116.39762729119315)) < 0.5
    assert metres(gcj02_to_bd09(*result), (39.915, 116.404)) < 0.001


def test_gcj02_to_bd09_northeast_vector() -> None:
    # Point (45 N, 123 E) in Heilongjiang used by converter test suites: BD-09 45.00636899, 123.00636499.
    assert gcj02_to_bd09(45.0, 123.0) == pytest.approx((45.00636899, 123.00636499), abs=1e-8)
    assert gcj02_to_wgs84(45.0, 123.0) == pytest.approx((44.99804071, 122.99395597), abs=1e-6)


@pytest.mark.parametrize("lat", [18.3, 22.5, 31.23, 39.9, 45.75, 53.3])
@pytest.mark.parametrize("lon", [75.9, 87.6, 104.07, 116.4, 121.47, 134.2])
def test_round_trips_stay_within_a_centimetre_inside_china(lat: float, lon: float) -> None:
    assert metres(gcj02_to_wgs84(*wgs84_to_gcj02(lat, lon)), (lat, lon)) < 0.01
    assert metres(bd09_to_wgs84(*wgs84_to_bd09(lat, lon)), (lat, lon)) < 0.01
    assert metres(bd09_to_gcj02(*gcj02_to_bd09(lat, lon)), (lat, lon)) < 0.01


def test_gcj02_offset_is_hundreds_of_metres_inside_china() -> None:
    shift = metres(wgs84_to_gcj02(39.9, 116.4), (39.9, 116.4))
    assert 100 < shift < 1000


def test_vectorised_inverse_is_under_a_metre_everywhere_in_china() -> None:
    rng = np.random.default_rng(7)
    lat = rng.uniform(18.0, 53.5, 20_000)
    lon = rng.uniform(74.0, 134.5, 20_000)
    back_lat, back_lon = gcj02_to_wgs84_arrays(*wgs84_to_gcj02_arrays(lat, lon))
    worst_deg = max(np.max(np.abs(back_lat - lat)), np.max(np.abs(back_lon - lon)))
    assert worst_deg * 111_320 < 1.0


@pytest.mark.parametrize("point", [(52.52, 13.405), (51.5072, -0.1276), (-33.87, 151.21), (40.71, -74.0)])
def test_no_offset_outside_china(point: tuple[float, float]) -> None:
    lat, lon = point
    for crs in ("wgs84", "gcj02", "bd09"):
        assert to_wgs84(lat, lon, crs) == (lat, lon)
        assert from_wgs84(lat, lon, crs) == (lat, lon)
    assert wgs84_to_gcj02(lat, lon) == (lat, lon)
    assert gcj02_to_bd09(lat, lon) == (lat, lon)


def test_to_wgs84_dispatches_on_crs() -> None:
    bd = wgs84_to_bd09(31.2304, 121.4737)
    gcj = wgs84_to_gcj02(31.2304, 121.4737)
    assert metres(to_wgs84(*bd, "bd09"), (31.2304, 121.4737)) < 0.01
    assert metres(to_wgs84(*gcj, "gcj02"), (31.2304, 121.4737)) < 0.01
    assert to_wgs84(31.2304, 121.4737, "wgs84") == (31.2304, 121.4737)
    with pytest.raises(ValueError, match="unknown coordinate system"):
        to_wgs84(31.2, 121.4, "utm")


@pytest.mark.parametrize(
    ("lat", "lon", "message"),
    [
        (91.0, 10.0, "latitude"),
        (-90.5, 10.0, "latitude"),
        (10.0, 180.01, "longitude"),
        (math.nan, 10.0, "NaN"),
        (10.0, math.nan, "NaN"),
        (0.0, 0.0, "no position fix"),
        ("north", 10.0, "not numbers"),
    ],
)
def test_validate_latlon_rejects_impossible_points(lat: float, lon: float, message: str) -> None:
    with pytest.raises(InvalidCoordinates, match=message):
        validate_latlon(lat, lon)


def test_validate_latlon_accepts_edges_and_returns_floats() -> None:
    assert validate_latlon(90, -180) == (90.0, -180.0)
    assert validate_latlon(0.0, 0.0001) == (0.0, 0.0001)
    assert validate_latlon("39.9", "116.4") == (39.9, 116.4)
