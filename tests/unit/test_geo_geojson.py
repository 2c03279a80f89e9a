"""GeoJSON import: what is accepted, repaired, rejected and reported as overlapping, in every CRS."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
import shapely
from geopy.distance import geodesic
from shapely import box

from geo.crs import from_wgs84
from geo.geojson import load_feature_collection
from geo.grid_index import GridIndex

BERLIN = Path(__file__).resolve().parents[3] / "shared" / "data" / "berlin_bezirke.geojson"
SQUARE = [[116.40, 39.90], [116.41, 39.90], [116.41, 39.91], [116.40, 39.91], [116.40, 39.90]]


def feature(unit_id: Any, geometry: dict[str, Any] | None, **properties: Any) -> dict[str, Any]:
    props = {"id": unit_id, **properties} if unit_id is not None else dict(properties)
    return {"type": "Feature", "properties": props, "geometry": geometry}


def polygon(*rings: list[list[float]]) -> dict[str, Any]:
    return {"type": "Polygon", "coordinates": list(rings)}


def collection(*features: dict[str, Any]) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": list(features)}


def grid_collection(cols: int, rows: int, crs: str = "wgs84") -> dict[str, Any]:
    """~100 m cells near Beijing's Dongcheng with vertices written in ``crs``."""
    step = 0.001
    features = []
    for c in range(cols):
        for r in range(rows):
            x0, y0 = 116.40 + c * step, 39.90 + r * step
            corners = [(x0, y0), (x0 + step, y0), (x0 + step, y0 + step), (x0, y0 + step), (x0, y0)]
            ring = [list(reversed(from_wgs84(lat, lon, crs))) for lon, lat in corners]
            features.append(feature(f"c{c}-{r}", polygon(ring), name=f"Cell {c}/{r}", parent="street-1"))
    return collection(*features)


def test_berlin_districts_import_whole() -> None:
    if not BERLIN.exists():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI must run this test: {BERLIN} is missing")
        pytest.skip(f"{BERLIN} is missing")
    result = load_feature_collection(BERLIN, id_field="cartodb_id")
    assert len(result.accepted) == 12 and result.rejected == [] and result.overlaps == []
    by_name = {u.name: u for u in result.accepted}
    assert by_name["Mitte"].unit_id == "1" and by_name["Mitte"].parent_id is None
    assert by_name["Mitte"].geometry.covers(shapely.Point(13.3777, 52.5163))  # Brandenburg Gate


@pytest.mark.parametrize("crs", ["gcj02", "bd09"])
def test_chinese_crs_grid_imports_onto_the_wgs84_grid_within_a_metre(crs: str) -> None:
    reference = load_feature_collection(grid_collection(6, 5)).accepted
    converted = load_feature_collection(grid_collection(6, 5, crs), crs=crs).accepted
    assert [u.unit_id for u in converted] == [u.unit_id for u in reference]
    raw = load_feature_collection(grid_collection(6, 5, crs)).accepted  # the same file read as WGS-84
    for ref, got, wrong in zip(reference, converted, raw, strict=True):
        pairs = zip(ref.geometry.exterior.coords, got.geometry.exterior.coords, strict=True)
        for (x1, y1), (x2, y2) in pairs:
            assert geodesic((y1, x1), (y2, x2)).meters < 1.0
        assert shapely.hausdorff_distance(ref.geometry, wrong.geometry) * 111_000 > 100  # the offset is real
    index = GridIndex(load_feature_collection(grid_collection(6, 5, crs), crs=crs).grid_units())
    located = index.locate(39.9035, 116.4025)
    assert located is not None and located.unit_id == "c2-3" and not located.snapped


def test_names_parents_and_the_feature_level_id_are_read() -> None:
    data = collection(
        feature("g1", polygon(SQUARE), name="  东四街道 第一网格 ", parent="community-7"),
        {"type": "Feature", "id": 42, "properties": {"parent": ""}, "geometry": polygon(SQUARE)},
    )
    first, second = load_feature_collection(data, overlap_tolerance_m2=1e12).accepted
    assert (first.unit_id, first.name, first.parent_id) == ("g1", "东四街道 第一网格", "community-7")
    assert (second.unit_id, second.name, second.parent_id) == ("42", "42", None)


def test_custom_field_names() -> None:
    data = collection(feature(None, polygon(SQUARE), code="A-1", title="Alpha", up="B"))
    (unit,) = load_feature_collection(data, id_field="code", name_field="title", parent_field="up").accepted
    assert (unit.unit_id, unit.name, unit.parent_id) == ("A-1", "Alpha", "B")


def test_holes_are_kept() -> None:
    hole = [[116.402, 39.902], [116.402, 39.908], [116.408, 39.908], [116.408, 39.902], [116.402, 39.902]]
    for crs in ("wgs84", "gcj02"):
        (unit,) = load_feature_collection(collection(feature("h", polygon(SQUARE, hole))), crs=crs).accepted
        assert len(unit.geometry.interiors) == 1
        centre = shapely.Point(unit.geometry.interiors[0].centroid)
        assert not unit.geometry.covers(centre)


def test_small_bow_tie_is_repaired_and_reported() -> None:
    # A square whose corner vertices were entered in the wrong order: a ~11 m² twisted lobe on 1 ha.
    s = 0.001
    ring = [[0, 0], [100, 0], [100, 100], [0, 95], [5, 100], [0, 0]]
    coords = [[116.4 + x * s / 100, 39.9 + y * s / 100] for x, y in ring]
    result = load_feature_collection(collection(feature("twisted", polygon(coords))))
    (unit,) = result.accepted
    assert unit.geometry.is_valid and unit.geometry.geom_type in ("Polygon", "MultiPolygon")
    (repair,) = result.repaired
    assert repair.unit_id == "twisted" and "Self-intersection" in repair.problem and repair.area_change < 0.01


def test_symmetric_figure_eight_is_rejected_because_its_area_is_ambiguous() -> None:
    bow_tie = [[116.40, 39.90], [116.41, 39.91], [116.41, 39.90], [116.40, 39.91], [116.40, 39.90]]
    result = load_feature_collection(collection(feature("eight", polygon(bow_tie))))
    assert result.accepted == [] and result.repaired == []
    (rejected,) = result.rejected
    assert rejected.unit_id == "eight" and "invalid geometry" in rejected.reason and "area" in rejected.reason


def test_bad_features_are_rejected_with_reasons_and_the_rest_kept() -> None:
    line = {"type": "LineString", "coordinates": [[116.4, 39.9], [116.5, 39.95]]}
    data = collection(
        feature("ok", polygon(SQUARE)),
        feature("road", line),
        feature(None, polygon(SQUARE), name="no id"),
        feature("  ", polygon(SQUARE)),
        feature("nothing", None),
        feature("empty", {"type": "Polygon", "coordinates": []}),
        feature("short", polygon([[116.4, 39.9], [116.41, 39.9], [116.4, 39.9]])),
        feature("ok", polygon(SQUARE)),
        feature("garbled", {"type": "Polygon", "coordinates": [[["116.4", "north"]]]}),
        feature("projected", polygon([[440e3, 4420e3], [441e3, 4420e3], [441e3, 4421e3], [440e3, 4420e3]])),
        {"type": "Point", "coordinates": [1, 2]},
    )
    result = load_feature_collection(data, overlap_tolerance_m2=1e12)
    assert [u.unit_id for u in result.accepted] == ["ok"]
    reasons = {(r.index, r.unit_id): r.reason for r in result.rejected}
    assert "LineString" in reasons[(1, "road")]
    assert "missing id" in reasons[(2, None)] and "missing id" in reasons[(3, None)]
    assert reasons[(4, "nothing")] == "no geometry"
    assert reasons[(5, "empty")] == "empty geometry"
    assert "invalid geometry (Too few points" in reasons[(6, "short")]
    assert reasons[(7, "ok")] == "duplicate id"
    assert "malformed coordinates" in reasons[(8, "garbled")]
    assert "longitude/latitude" in reasons[(9, "projected")]
    assert "not a GeoJSON Feature" in reasons[(10, None)]


def test_overlaps_are_reported_with_their_area_but_shared_edges_are_not() -> None:
    step = 0.001
    a = box(116.400, 39.900, 116.400 + step, 39.900 + step)
    touching = box(116.400 + step, 39.900, 116.400 + 2 * step, 39.900 + step)
    overlapping = box(116.400 + step - 0.0001, 39.902, 116.400 + 2 * step, 39.902 + step)
    beside_it = box(116.400, 39.902, 116.400 + step, 39.902 + step)
    inner = box(116.4002, 39.9042, 116.4004, 39.9044)
    tiny_overlap = box(116.4 + step - 1e-7, 39.906, 116.4 + 2 * step, 39.906 + step)
    host = box(116.4, 39.906, 116.4 + step, 39.906 + step)
    geoms = {
        "a": a,
        "b": touching,
        "c": overlapping,
        "d": beside_it,
        "e": inner,
        "f": box(116.4, 39.904, 116.401, 39.905),
        "g": tiny_overlap,
        "h": host,
    }
    data = collection(*(feature(k, shapely.geometry.mapping(g)) for k, g in geoms.items()))
    result = load_feature_collection(data)
    found = {(o.first_id, o.second_id): o.area_m2 for o in result.overlaps}
    assert set(found) == {("c", "d"), ("e", "f")}
    width = geodesic((39.902, 116.4009), (39.902, 116.401)).meters
    strip_m2 = width * geodesic((39.902, 116.4), (39.903, 116.4)).meters
    assert found[("c", "d")] == pytest.approx(strip_m2, rel=0.02)


def test_inputs_as_path_text_and_bytes_and_progress(tmp_path: Path) -> None:
    data = grid_collection(25, 10)
    path = tmp_path / "grid.geojson"
    path.write_text(json.dumps(data), encoding="utf-8")
    calls: list[tuple[int, int]] = []
    from_path = load_feature_collection(path, on_progress=lambda done, total: calls.append((done, total)))
    assert len(from_path.accepted) == 250
    assert calls[-1] == (250, 250) and len(calls) > 10
    assert [done for done, _ in calls] == sorted(done for done, _ in calls)
    assert len(load_feature_collection(str(path)).accepted) == 250
    assert len(load_feature_collection(json.dumps(data)).accepted) == 250
    assert len(load_feature_collection(json.dumps(data).encode()).accepted) == 250


def test_refuses_what_is_not_a_feature_collection() -> None:
    with pytest.raises(ValueError, match="FeatureCollection"):
        load_feature_collection({"type": "Polygon", "coordinates": [SQUARE]})
    with pytest.raises(ValueError, match="unknown coordinate system"):
        load_feature_collection(collection(), crs="epsg:3857")
