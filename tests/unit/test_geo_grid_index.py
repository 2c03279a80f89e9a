"""GridIndex routes points like a brute-force shapely check, deterministically, and snaps nearby points."""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np
import pytest
import shapely
from geopy.distance import geodesic
from shapely import MultiPolygon, Polygon, box

from geo.crs import InvalidCoordinates
from geo.geojson import load_feature_collection
from geo.grid_index import GridIndex, GridUnit, Location

BERLIN = Path(__file__).resolve().parents[3] / "shared" / "data" / "berlin_bezirke.geojson"
STEP = 0.125  # exact in binary, so points built on shared edges really lie on them


@pytest.fixture(scope="module")
def berlin_units() -> list[GridUnit]:
    if not BERLIN.exists():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI must run this test: {BERLIN} is missing")
        pytest.skip(f"{BERLIN} is missing")
    return load_feature_collection(BERLIN, id_field="cartodb_id").grid_units()


def square_grid(cols: int, rows: int, step: float = STEP) -> list[GridUnit]:
    """Cells ``g{col}-{row}`` of ``step`` degrees from (39.5 N, 116.0 E)."""
    return [
        GridUnit(
            f"g{c:02d}-{r:02d}",
            f"cell {c},{r}",
            box(116.0 + c * step, 39.5 + r * step, 116.0 + (c + 1) * step, 39.5 + (r + 1) * step),
        )
        for c in range(cols)
        for r in range(rows)
    ]


def routed_id(location: Location | None) -> str | None:
    return None if location is None else location.unit_id


def test_berlin_districts_match_brute_force_point_by_point(berlin_units: list[GridUnit]) -> None:
    index = GridIndex(berlin_units, snap_distance_m=0)
    minx, miny, maxx, maxy = shapely.total_bounds([u.geometry for u in berlin_units])
    rng = np.random.default_rng(2024)
    lons, lats = rng.uniform(minx, maxx, 3000), rng.uniform(miny, maxy, 3000)
    points = shapely.points(lons, lats)
    expected: list[str | None] = [None] * len(points)
    for unit in sorted(berlin_units, key=lambda u: u.unit_id, reverse=True):
        for i in np.flatnonzero(shapely.covers(unit.geometry, points)):
            expected[i] = unit.unit_id
    got = [routed_id(index.locate(lat, lon)) for lat, lon in zip(lats.tolist(), lons.tolist(), strict=True)]
    assert got == expected
    assert [routed_id(loc) for loc in index.locate_many(lats, lons)] == expected
    assert 1000 < sum(e is not None for e in expected) < 3000  # both hits and misses were exercised


@pytest.mark.parametrize(
    ("lat", "lon", "district"),
    [
        (52.5163, 13.3777, "Mitte"),  # Brandenburg Gate
        (52.5413, 13.2126, "Spandau"),  # Spandau Citadel
        (52.4452, 13.5770, "Treptow-Köpenick"),  # Köpenick old town
        (52.5360, 13.6040, "Marzahn-Hellersdorf"),  # Marzahn
    ],
)
def test_berlin_landmarks_land_in_their_district(
    berlin_units: list[GridUnit], lat: float, lon: float, district: str
) -> None:
    location = GridIndex(berlin_units).locate(lat, lon)
    assert location is not None and location.name == district and not location.snapped


def test_generated_grid_routes_random_points_to_their_cell() -> None:
    units = square_grid(20, 20)
    index = GridIndex(units)
    rng = np.random.default_rng(5)
    for _ in range(2000):
        c, r = int(rng.integers(20)), int(rng.integers(20))
        fx, fy = rng.uniform(0.01, 0.99, 2)
        location = index.locate(39.5 + (r + fy) * STEP, 116.0 + (c + fx) * STEP)
        assert location == Location(f"g{c:02d}-{r:02d}", f"cell {c},{r}")


def test_points_on_shared_edges_and_corners_go_to_the_smallest_id_whatever_the_load_order() -> None:
    units = square_grid(3, 3)
    forward, backward = GridIndex(units), GridIndex(list(reversed(units)))
    edge = (39.5 + 0.5 * STEP, 116.0 + STEP)  # between g00-00 and g01-00
    corner = (39.5 + 2 * STEP, 116.0 + 2 * STEP)  # shared by g01-01, g01-02, g02-01, g02-02
    outer_corner = (39.5, 116.0)  # the grid's own corner belongs only to g00-00
    for index in (forward, backward):
        assert routed_id(index.locate(*edge)) == "g00-00"
        assert routed_id(index.locate(*corner)) == "g01-01"
        assert index.locate(*outer_corner) == Location("g00-00", "cell 0,0")
    assert [routed_id(x) for x in forward.locate_many([edge[0], corner[0]], [edge[1], corner[1]])] == [
        "g00-00",
        "g01-01",
    ]


def test_holes_are_respected_and_a_unit_inside_the_hole_wins() -> None:
    shell = [(116.0, 39.0), (117.0, 39.0), (117.0, 40.0), (116.0, 40.0)]
    hole = [(116.25, 39.25), (116.75, 39.25), (116.75, 39.75), (116.25, 39.75)]
    ring = GridUnit("b-ring", "ring", Polygon(shell, [hole]))
    island = GridUnit("a-island", "island", Polygon(hole))
    with_island = GridIndex([ring, island])
    assert routed_id(with_island.locate(39.5, 116.5)) == "a-island"
    assert routed_id(with_island.locate(39.1, 116.1)) == "b-ring"
    assert routed_id(with_island.locate(39.5, 116.25)) == "a-island"  # on the shared hole edge
    only_ring = GridIndex([ring])
    assert only_ring.locate(39.5, 116.5) is None  # middle of the hole, far from any edge
    near_edge = only_ring.locate(39.5, 116.2505)  # about 43 m inside the hole
    assert near_edge is not None and near_edge.unit_id == "b-ring" and near_edge.snapped
    assert near_edge.distance_m == pytest.approx(geodesic((39.5, 116.25), (39.5, 116.2505)).meters, abs=0.5)


def test_snapping_reports_the_geodesic_distance_and_respects_the_limit() -> None:
    index = GridIndex(square_grid(2, 2))  # east edge at 116.25
    lat = 39.5 + 1.7 * STEP
    metres_per_deg_lon = geodesic((lat, 116.25), (lat, 116.26)).meters / 0.01
    east = lambda m: (lat, 116.25 + m / metres_per_deg_lon)  # noqa: E731
    near = index.locate(*east(50))
    assert near is not None and near.snapped and near.unit_id == "g01-01"
    assert near.distance_m == pytest.approx(50, abs=0.5)
    assert index.locate(*east(150)) is None
    far = index.locate(*east(150), snap_distance_m=200)
    assert far is not None and far.distance_m == pytest.approx(150, abs=0.5)
    assert index.locate(*east(50), snap_distance_m=0) is None
    batch = index.locate_many([east(50)[0], east(150)[0]], [east(50)[1], east(150)[1]])
    assert [routed_id(x) for x in batch] == ["g01-01", None]


def test_snapping_picks_the_nearest_unit() -> None:
    west = GridUnit("z-west", "west", box(116.0, 39.0, 116.001, 39.001))
    east = GridUnit("a-east", "east", box(116.0016, 39.0, 116.0026, 39.001))
    index = GridIndex([west, east])
    location = index.locate(39.0005, 116.0011)  # ~9 m from west, ~43 m from east
    assert location is not None and location.unit_id == "z-west"
    expected = geodesic((39.0005, 116.001), (39.0005, 116.0011)).meters
    assert location.distance_m == pytest.approx(expected, abs=0.5)


def test_large_units_outside_the_buckets_still_follow_the_smallest_id_rule() -> None:
    small = square_grid(30, 30, step=0.001)
    district = GridUnit("a-district", "district", box(116.0, 39.5, 116.02, 39.52))
    far_park = GridUnit("z-park", "park", box(117.0, 40.0, 117.5, 40.5))
    index = GridIndex([*small, district, far_park])
    assert routed_id(index.locate(39.5105, 116.0105)) == "a-district"  # inside a small cell too
    assert routed_id(index.locate(39.5255, 116.0255)) == "g25-25"  # only the small cell
    assert routed_id(index.locate(40.2, 117.2)) == "z-park"
    assert routed_id(index.locate_many([39.5105], [116.0105])[0]) == "a-district"


def test_units_lookup_and_validation() -> None:
    units = square_grid(2, 1)
    index = GridIndex(units)
    assert len(index) == 2 and [u.unit_id for u in index.units] == ["g00-00", "g01-00"]
    assert index.get("g01-00") == units[1] and index.get("nope") is None
    with pytest.raises(InvalidCoordinates):
        index.locate(math.nan, 116.0)
    with pytest.raises(InvalidCoordinates):
        index.locate(39.0, 200.0)
    with pytest.raises(InvalidCoordinates):
        index.locate_many([39.0, math.nan], [116.0, 116.0])
    with pytest.raises(ValueError, match="unique"):
        GridIndex([units[0], units[0]])
    with pytest.raises(ValueError, match="Polygon"):
        GridIndex([("line", "line", shapely.LineString([(0, 0), (1, 1)]))])  # type: ignore[list-item]
    assert GridIndex([]).locate(39.0, 116.0) is None
    assert GridIndex([]).locate_many([39.0], [116.0]) == [None]


def test_multipolygon_units_cover_every_part() -> None:
    parts = MultiPolygon([box(116.0, 39.0, 116.1, 39.1), box(116.5, 39.0, 116.6, 39.1)])
    index = GridIndex([("m", "two parts", parts)])
    assert routed_id(index.locate(39.05, 116.55)) == "m"
    assert index.locate(39.05, 116.3) is None


def test_snapping_measures_on_the_ground_not_in_degrees_at_high_latitude() -> None:
    # At 60 N a degree of longitude is half a degree of latitude on the ground, so the nearest point of a
    # slanted edge in degree space is not the nearest point on the ground.
    slanted = Polygon([(25.0, 60.0), (25.004, 60.001), (25.004, 60.0)])
    lat, lon = 60.0012, 25.0015
    dense_edge = shapely.segmentize(slanted.exterior, 0.000002)
    expected = min(geodesic((lat, lon), (y, x)).meters for x, y in dense_edge.coords)
    location = GridIndex([("s", "slanted", slanted)]).locate(lat, lon)
    assert location is not None and location.snapped
    assert location.distance_m == pytest.approx(expected, abs=0.3)
