"""Coordinates typed as text are told from addresses, read latitude first unless marked, and absurd ones refused."""

from __future__ import annotations

import pytest

from geo.crs import InvalidCoordinates
from geo.typed_point import TypedPoint, read_typed_point


@pytest.mark.parametrize(
    ("typed", "point"),
    [
        ("48.8584, 2.2945", TypedPoint(48.8584, 2.2945)),
        ("39.9289,116.4174", TypedPoint(39.9289, 116.4174)),
        ("39.9289 116.4174", TypedPoint(39.9289, 116.4174)),
        ("  39.9289，116.4174 ", TypedPoint(39.9289, 116.4174)),
        ("(39.9289; 116.4174)", TypedPoint(39.9289, 116.4174)),
        ("N39.9289 E116.4174", TypedPoint(39.9289, 116.4174)),
        ("n 39.9289, e 116.4174", TypedPoint(39.9289, 116.4174)),
        ("39.9289°N, 116.4174°E", TypedPoint(39.9289, 116.4174)),
        ("39.9289 N 116.4174 E", TypedPoint(39.9289, 116.4174)),
        ("北纬39.9289 东经116.4174", TypedPoint(39.9289, 116.4174)),
        ("E116.4174 N39.9289", TypedPoint(39.9289, 116.4174, swapped=True)),
        ("116.4174, 39.9289", TypedPoint(39.9289, 116.4174, swapped=True)),  # a map picker's "lng,lat"
        ("S33.8568 E151.2153", TypedPoint(-33.8568, 151.2153)),
        ("-33.8568, 151.2153", TypedPoint(-33.8568, 151.2153)),
        ("40.7128 W74.0060", TypedPoint(40.7128, -74.006)),
        ("N40 W74", TypedPoint(40.0, -74.0)),  # whole degrees are fine when marked
    ],
)
def test_coordinate_pairs_are_read_as_wgs84_points(typed: str, point: TypedPoint) -> None:
    assert read_typed_point(typed) == point


@pytest.mark.parametrize(
    "typed",
    [
        "东四北大街 12号",
        "Building 48, 2",
        "48, 2",
        "12 34",
        "Rue de Rivoli 99",
        "39.9289",
        "39.9289, 116.4174, 12.0",
        "",
    ],
)
def test_addresses_are_left_to_the_address_search(typed: str) -> None:
    assert read_typed_point(typed) is None


@pytest.mark.parametrize(
    "typed",
    [
        "95.5, 116.4",  # latitude beyond 90
        "39.9, 200.5",  # longitude beyond 180
        "200.5, 39.9",  # too far even for "longitude, latitude"
        "0.0, 0.0",  # a phone without a fix
        "N39.9 N116.4",  # two latitudes
        "-39.9S 116.4E",  # a sign and a hemisphere
        "N39.9S 116.4",  # two marks on one number
    ],
)
def test_pairs_that_cannot_be_a_place_are_refused(typed: str) -> None:
    with pytest.raises(InvalidCoordinates):
        read_typed_point(typed)
