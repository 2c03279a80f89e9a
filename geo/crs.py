"""Conversions between WGS-84, GCJ-02 and BD-09, and coordinate validation.

Every function takes and returns ``(lat, lon)`` in decimal degrees, latitude first, as chat apps and
WeChat's ``Location_X``/``Location_Y`` do. The ``*_arrays`` variants take numpy arrays of latitudes and
longitudes and are what the GeoJSON importer uses to convert whole files at once.

GCJ-02 is a deliberate, non-invertible-in-closed-form offset of WGS-84 that only applies inside China;
outside the usual rough China bounding box every conversion here is the identity. BD-09 is a further
offset of GCJ-02 used by Baidu.
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

Crs = Literal["wgs84", "gcj02", "bd09"]
CRS_NAMES: tuple[str, ...] = ("wgs84", "gcj02", "bd09")
LatLon = tuple[float, float]
FloatArray = NDArray[np.float64]

# Parameters of the Krasovsky 1940 ellipsoid that the GCJ-02 algorithm is built on.
_A = 6378245.0
_EE = 0.00669342162296594323
_BD_PI = math.pi * 3000.0 / 180.0
# Stop the GCJ-02 inverse when a step moves less than ~1 mm.
_INVERSE_TOLERANCE_DEG = 1e-8
_INVERSE_MAX_STEPS = 30


class InvalidCoordinates(ValueError):
    """A latitude/longitude pair that cannot be a real location."""


def validate_latlon(lat: float | str, lon: float | str) -> LatLon:
    """Return ``(lat, lon)`` as floats or raise ``InvalidCoordinates`` with the reason."""
    try:
        lat_f, lon_f = float(lat), float(lon)
    except (TypeError, ValueError) as exc:
        raise InvalidCoordinates(f"coordinates are not numbers: {lat!r}, {lon!r}") from exc
    if math.isnan(lat_f) or math.isnan(lon_f):
        raise InvalidCoordinates("coordinates are not numbers (NaN)")
    if not -90.0 <= lat_f <= 90.0:
        raise InvalidCoordinates(f"latitude {lat_f} is outside -90..90")
    if not -180.0 <= lon_f <= 180.0:
        raise InvalidCoordinates(f"longitude {lon_f} is outside -180..180")
    # A device without a fix reports exactly (0, 0); nobody files a city report from the Gulf of Guinea.
    if lat_f == 0.0 and lon_f == 0.0:
        raise InvalidCoordinates("coordinates are exactly (0, 0), which means no position fix")
    return lat_f, lon_f


def in_china(lat: float, lon: float) -> bool:
    """Whether the point lies in the rough China bounding box where GCJ-02 applies."""
    return 0.8293 <= lat <= 55.8271 and 72.004 <= lon <= 137.8347


def _in_china_arrays(lat: FloatArray, lon: FloatArray) -> NDArray[np.bool_]:
    return (lat >= 0.8293) & (lat <= 55.8271) & (lon >= 72.004) & (lon <= 137.8347)


def _gcj_offset(lat: FloatArray, lon: FloatArray) -> tuple[FloatArray, FloatArray]:
    """The GCJ-02 offset (dlat, dlon) in degrees at WGS-84 points, without the China test."""
    x = lon - 105.0
    y = lat - 35.0
    wave = (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x)) + wave
    dlat += (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
    dlat += (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    dlon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x)) + wave
    dlon += (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
    dlon += (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    rad_lat = lat / 180.0 * np.pi
    magic = 1.0 - _EE * np.sin(rad_lat) ** 2
    sqrt_magic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1.0 - _EE)) / (magic * sqrt_magic) * np.pi)
    dlon = (dlon * 180.0) / (_A / sqrt_magic * np.cos(rad_lat) * np.pi)
    return dlat, dlon


def _as_arrays(lat: ArrayLike, lon: ArrayLike) -> tuple[FloatArray, FloatArray]:
    return np.asarray(lat, dtype=np.float64), np.asarray(lon, dtype=np.float64)


def wgs84_to_gcj02_arrays(lat: ArrayLike, lon: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Vectorised WGS-84 → GCJ-02."""
    lat_a, lon_a = _as_arrays(lat, lon)
    out_lat, out_lon = lat_a.copy(), lon_a.copy()
    inside = _in_china_arrays(lat_a, lon_a)
    dlat, dlon = _gcj_offset(lat_a[inside], lon_a[inside])
    out_lat[inside] += dlat
    out_lon[inside] += dlon
    return out_lat, out_lon


def gcj02_to_wgs84_arrays(lat: ArrayLike, lon: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Vectorised GCJ-02 → WGS-84 by fixed-point iteration (error far below 1 m inside China)."""
    lat_a, lon_a = _as_arrays(lat, lon)
    out_lat, out_lon = lat_a.copy(), lon_a.copy()
    inside = _in_china_arrays(lat_a, lon_a)
    lat_g, lon_g = lat_a[inside], lon_a[inside]
    # The offset varies slowly (a few metres per kilometre), so w ← w − (gcj(w) − g) converges fast.
    lat_w, lon_w = lat_g.copy(), lon_g.copy()
    for _ in range(_INVERSE_MAX_STEPS):
        dlat, dlon = _gcj_offset(lat_w, lon_w)
        err_lat = lat_w + dlat - lat_g
        err_lon = lon_w + dlon - lon_g
        lat_w = lat_w - err_lat
        lon_w = lon_w - err_lon
        if max(_abs_max(err_lat), _abs_max(err_lon)) < _INVERSE_TOLERANCE_DEG:
            break
    out_lat[inside] = lat_w
    out_lon[inside] = lon_w
    return out_lat, out_lon


def _abs_max(values: FloatArray) -> float:
    return float(np.max(np.abs(values))) if values.size else 0.0


def _bd_forward(lat: FloatArray, lon: FloatArray) -> tuple[FloatArray, FloatArray]:
    z = np.hypot(lon, lat) + 0.00002 * np.sin(lat * _BD_PI)
    theta = np.arctan2(lat, lon) + 0.000003 * np.cos(lon * _BD_PI)
    return z * np.sin(theta) + 0.006, z * np.cos(theta) + 0.0065


def gcj02_to_bd09_arrays(lat: ArrayLike, lon: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Vectorised GCJ-02 → BD-09."""
    lat_a, lon_a = _as_arrays(lat, lon)
    out_lat, out_lon = lat_a.copy(), lon_a.copy()
    inside = _in_china_arrays(lat_a, lon_a)
    out_lat[inside], out_lon[inside] = _bd_forward(lat_a[inside], lon_a[inside])
    return out_lat, out_lon


def bd09_to_gcj02_arrays(lat: ArrayLike, lon: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Vectorised BD-09 → GCJ-02: Baidu's closed-form inverse refined to the exact inverse."""
    lat_a, lon_a = _as_arrays(lat, lon)
    out_lat, out_lon = lat_a.copy(), lon_a.copy()
    inside = _in_china_arrays(lat_a, lon_a)
    lat_b, lon_b = lat_a[inside], lon_a[inside]
    x = lon_b - 0.0065
    y = lat_b - 0.006
    z = np.hypot(x, y) - 0.00002 * np.sin(y * _BD_PI)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * _BD_PI)
    lat_g, lon_g = z * np.sin(theta), z * np.cos(theta)
    # The closed form is only accurate to ~0.2 m; a few fixed-point steps make it the true inverse.
    for _ in range(_INVERSE_MAX_STEPS):
        fwd_lat, fwd_lon = _bd_forward(lat_g, lon_g)
        err_lat, err_lon = fwd_lat - lat_b, fwd_lon - lon_b
        lat_g, lon_g = lat_g - err_lat, lon_g - err_lon
        if max(_abs_max(err_lat), _abs_max(err_lon)) < _INVERSE_TOLERANCE_DEG:
            break
    out_lat[inside], out_lon[inside] = lat_g, lon_g
    return out_lat, out_lon


def to_wgs84_arrays(lat: ArrayLike, lon: ArrayLike, crs: str) -> tuple[FloatArray, FloatArray]:
    """Vectorised conversion of points in ``crs`` to WGS-84."""
    if crs == "wgs84":
        return _as_arrays(lat, lon)
    if crs == "gcj02":
        return gcj02_to_wgs84_arrays(lat, lon)
    if crs == "bd09":
        return gcj02_to_wgs84_arrays(*bd09_to_gcj02_arrays(lat, lon))
    raise ValueError(f"unknown coordinate system {crs!r}; expected one of {', '.join(CRS_NAMES)}")


def from_wgs84_arrays(lat: ArrayLike, lon: ArrayLike, crs: str) -> tuple[FloatArray, FloatArray]:
    """Vectorised conversion of WGS-84 points to ``crs``."""
    if crs == "wgs84":
        return _as_arrays(lat, lon)
    if crs == "gcj02":
        return wgs84_to_gcj02_arrays(lat, lon)
    if crs == "bd09":
        return gcj02_to_bd09_arrays(*wgs84_to_gcj02_arrays(lat, lon))
    raise ValueError(f"unknown coordinate system {crs!r}; expected one of {', '.join(CRS_NAMES)}")


def _scalar(pair: tuple[FloatArray, FloatArray]) -> LatLon:
    return float(pair[0]), float(pair[1])


def wgs84_to_gcj02(lat: float, lon: float) -> LatLon:
    """WGS-84 ``(lat, lon)`` → GCJ-02 ``(lat, lon)``."""
    return _scalar(wgs84_to_gcj02_arrays(lat, lon))


def gcj02_to_wgs84(lat: float, lon: float) -> LatLon:
    """GCJ-02 ``(lat, lon)`` → WGS-84 ``(lat, lon)``."""
    return _scalar(gcj02_to_wgs84_arrays(lat, lon))


def gcj02_to_bd09(lat: float, lon: float) -> LatLon:
    """GCJ-02 ``(lat, lon)`` → BD-09 ``(lat, lon)``."""
    return _scalar(gcj02_to_bd09_arrays(lat, lon))


def bd09_to_gcj02(lat: float, lon: float) -> LatLon:
    """BD-09 ``(lat, lon)`` → GCJ-02 ``(lat, lon)``."""
    return _scalar(bd09_to_gcj02_arrays(lat, lon))


def wgs84_to_bd09(lat: float, lon: float) -> LatLon:
    """WGS-84 ``(lat, lon)`` → BD-09 ``(lat, lon)``."""
    return _scalar(from_wgs84_arrays(lat, lon, "bd09"))


def bd09_to_wgs84(lat: float, lon: float) -> LatLon:
    """BD-09 ``(lat, lon)`` → WGS-84 ``(lat, lon)``."""
    return _scalar(to_wgs84_arrays(lat, lon, "bd09"))


def to_wgs84(lat: float, lon: float, crs: str = "wgs84") -> LatLon:
    """Convert ``(lat, lon)`` given in ``crs`` ("wgs84", "gcj02" or "bd09") to WGS-84."""
    return _scalar(to_wgs84_arrays(lat, lon, crs))


def from_wgs84(lat: float, lon: float, crs: str = "wgs84") -> LatLon:
    """Convert WGS-84 ``(lat, lon)`` to ``crs`` ("wgs84", "gcj02" or "bd09")."""
    return _scalar(from_wgs84_arrays(lat, lon, crs))
