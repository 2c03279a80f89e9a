"""Distances and search boxes behind the duplicate check."""

from __future__ import annotations

import math
import random

import pytest
from geopy.distance import geodesic

from services.duplicates import bounding_box, distance_m


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ((39.9100, 116.4000), (39.9102, 116.4000)),
        ((39.9100, 116.4000), (39.9100, 116.4005)),
        ((52.5163, 13.3777), (52.5166, 13.3781)),
        ((-33.8568, 151.2153), (-33.8570, 151.2150)),
        ((69.6496, 18.9560), (69.6499, 18.9570)),
    ],
)
def test_distance_agrees_with_the_ellipsoid_within_half_a_percent(
    a: tuple[float, float], b: tuple[float, float]
) -> None:
    assert distance_m(*a, *b) == pytest.approx(geodesic(a, b).meters, rel=5e-3)


def test_every_point_within_the_radius_is_inside_the_box() -> None:
    rng = random.Random(3)
    for _ in range(2000):
        lat, lon = rng.uniform(-70, 70), rng.uniform(-179, 179)
        radius = rng.uniform(5, 500)
        min_lat, max_lat, min_lon, max_lon = bounding_box(lat, lon, radius)
        bearing = rng.uniform(0, 2 * math.pi)
        # A point at just under the radius in a random direction.
        dest = geodesic(meters=radius * 0.999).destination((lat, lon), math.degrees(bearing))
        assert distance_m(lat, lon, dest.latitude, dest.longitude) <= radius * 1.005
        assert min_lat <= dest.latitude <= max_lat
        assert min_lon <= dest.longitude <= max_lon


def test_the_box_is_not_much_larger_than_needed() -> None:
    min_lat, max_lat, min_lon, max_lon = bounding_box(39.91, 116.40, 50)
    assert distance_m(min_lat, 116.40, max_lat, 116.40) == pytest.approx(100, rel=0.03)
    assert distance_m(39.91, min_lon, 39.91, max_lon) == pytest.approx(100, rel=0.03)
