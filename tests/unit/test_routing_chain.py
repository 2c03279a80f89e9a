"""Pure parts of routing: parent chains from a map, stored chains, and the point stored for each unit."""

from __future__ import annotations

import json

import shapely
from shapely import Polygon, box

from models.cases import RoutedBy
from services.grids import geometry_fields
from services.routing import RouteDecision, chain_from

PARENTS: dict[str, str | None] = {"g1": "c1", "c1": "s1", "s1": "d1", "d1": None, "dept": "d1"}


def test_chain_runs_from_the_unit_up_to_the_district() -> None:
    assert chain_from(PARENTS, "g1") == ("g1", "c1", "s1", "d1")
    assert chain_from(PARENTS, "dept") == ("dept", "d1")
    assert chain_from(PARENTS, "d1") == ("d1",)


def test_unknown_units_and_dangling_parents_end_the_chain() -> None:
    assert chain_from(PARENTS, "nope") == ()
    assert chain_from({"g": "gone"}, "g") == ("g",)


def test_a_parent_cycle_in_bad_data_does_not_loop_forever() -> None:
    assert chain_from({"a": "b", "b": "a"}, "a") == ("a", "b")


def test_decision_chain_is_stored_as_text() -> None:
    decision = RouteDecision("g1", ("g1", "c1", "s1", "d1"), RoutedBy.INSIDE)
    assert decision.chain_text == "g1>c1>s1>d1"
    assert RouteDecision(None, (), RoutedBy.UNROUTED).chain_text == ""


def test_stored_point_of_a_crescent_lies_inside_it() -> None:
    # A U-shaped unit: its centroid falls in the empty middle, where nobody would be routed to it.
    crescent = box(0, 0, 3, 3).difference(box(1, 1, 2, 3.5))
    assert not crescent.covers(crescent.centroid)
    text, lat, lon = geometry_fields(crescent)
    assert crescent.covers(shapely.Point(lon, lat))
    assert shapely.from_geojson(text).equals(crescent)


def test_stored_point_of_a_square_is_its_centre_and_holes_survive() -> None:
    square_with_hole = Polygon(box(0, 0, 2, 2).exterior.coords, [box(0.2, 0.2, 0.4, 0.4).exterior.coords])
    text, lat, lon = geometry_fields(square_with_hole)
    centre = square_with_hole.centroid  # inside this shape, so it is kept as is
    assert (lat, lon) == (centre.y, centre.x)
    assert len(json.loads(text)["coordinates"]) == 2  # shell and hole
