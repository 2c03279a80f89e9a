"""The city's area for "is this place far away?": the hull of the units, distances in metres on the ground."""

from __future__ import annotations

import pytest
from shapely import box

from geo.grid_index import GridIndex

# Two grids side by side, about 2.6 km × 2.2 km together, and a third 5 km east with a gap between.
UNITS = [
    ("G1", "one", box(116.39, 39.90, 116.41, 39.92)),
    ("G2", "two", box(116.41, 39.90, 116.42, 39.92)),
    ("G3", "three", box(116.48, 39.90, 116.49, 39.92)),
]


@pytest.mark.parametrize(
    ("lat", "lon", "low", "high"),
    [
        (39.91, 116.40, 0, 0),  # inside a unit
        (39.91, 116.45, 0, 0),  # in the gap between units: still the city's area
        (39.93, 116.40, 1_050, 1_170),  # 0.01° of latitude north: about 1.1 km
        (39.91, 116.50, 800, 900),  # 0.01° of longitude east at 40° N: about 0.85 km
        (48.8584, 2.2945, 8_150_000, 8_300_000),  # Paris, from Beijing
    ],
)
def test_distance_to_the_area(lat: float, lon: float, low: float, high: float) -> None:
    distance = GridIndex(UNITS).distance_to_area_m(lat, lon)
    assert distance is not None and low <= distance <= high


def test_no_units_no_area() -> None:
    assert GridIndex([]).area() is None and GridIndex([]).distance_to_area_m(39.9, 116.4) is None


def test_a_single_unit_is_its_own_area() -> None:
    index = GridIndex(UNITS[:1])
    assert index.distance_to_area_m(39.91, 116.40) == 0.0
    assert index.area() is index.area()  # built once
