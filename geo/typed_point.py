"""Coordinates typed as text: "48.8584, 2.2945", "39.9289 116.4174", "N39.9289 E116.4174", "39.9289°N 116.4174°E".

``read_typed_point`` tells a typed coordinate pair from an address. A pair is two decimal numbers separated by a
comma (also "，", ";" or "/") or by spaces, latitude first, each optionally marked with its hemisphere (N/S before or
after a latitude, E/W for a longitude, or 北纬/南纬/东经/西经 before it) and a degree sign. Without hemisphere marks
at least one number must have decimals, so "48, 2" (a building and a floor) stays an address. Marks decide which
number is which; without them a first number beyond ±90 that fits as a longitude, before a second that fits as a
latitude, is read as "longitude, latitude" (the order many map pickers copy). The values are WGS-84 degrees.

A text that is written like a pair but cannot be a place (a latitude beyond ±90, a longitude beyond ±180, 0,0)
raises ``InvalidCoordinates``, so the caller can say so instead of searching for it as an address.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from geo.crs import InvalidCoordinates, validate_latlon

_NUMBER = r"[+-]?\d{1,3}(?:\.\d+)?"
_BEFORE = r"(?:[NSEWnsew]|北纬|南纬|东经|西经)"


def _part(n: int) -> str:
    """One coordinate: a hemisphere mark before it, the number, a degree sign, a mark after it (all but the number
    optional)."""
    return rf"(?P<b{n}>{_BEFORE})?\s*(?P<n{n}>{_NUMBER})\s*°?\s*(?P<a{n}>[NSEWnsew])?"


_PAIR = re.compile(r"\(?\s*" + _part(1) + r"(?:\s*[,，;；/]\s*|\s+)" + _part(2) + r"\s*\)?")
_AXIS = {"n": "lat", "s": "lat", "北纬": "lat", "南纬": "lat", "e": "lon", "w": "lon", "东经": "lon", "西经": "lon"}
_NEGATIVE = {"s", "w", "南纬", "西经"}


@dataclass(frozen=True)
class TypedPoint:
    """A WGS-84 point read from text; ``swapped`` when it was written longitude first."""

    lat: float
    lon: float
    swapped: bool = False


def _mark(before: str | None, after: str | None) -> str | None:
    if before and after:
        raise InvalidCoordinates("a coordinate has two hemisphere marks")
    found = before or after
    return found.lower() if found else None


def _signed(number: str, mark: str | None) -> float:
    value = float(number)
    if mark is None:
        return value
    if value < 0:
        raise InvalidCoordinates("a coordinate has both a sign and a hemisphere mark")
    return -value if mark in _NEGATIVE else value


def read_typed_point(text: str) -> TypedPoint | None:
    """The point ``text`` spells as coordinates; None when it is not written as a coordinate pair."""
    found = _PAIR.fullmatch(text.strip())
    if found is None:
        return None
    first, second = _mark(found["b1"], found["a1"]), _mark(found["b2"], found["a2"])
    if first is None and second is None and "." not in found["n1"] + found["n2"]:
        return None  # two whole numbers are more likely part of an address
    a, b = _signed(found["n1"], first), _signed(found["n2"], second)
    axes = (_AXIS[first] if first else None, _AXIS[second] if second else None)
    if "lat" in axes and "lon" in axes:
        swapped = axes == ("lon", "lat")
    elif axes[0] == axes[1] and axes[0] is not None:
        raise InvalidCoordinates("both coordinates are marked as the same axis")
    else:
        swapped = axes[0] == "lon" or axes[1] == "lat" or (abs(a) > 90 >= abs(b) and abs(a) <= 180)
    lat, lon = (b, a) if swapped else (a, b)
    lat, lon = validate_latlon(lat, lon)
    return TypedPoint(lat, lon, swapped)
