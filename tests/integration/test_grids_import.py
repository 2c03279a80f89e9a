"""Importing grid files: real and generated polygons, re-imports in place, GCJ-02 files, bad features."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import shapely
from shapely import box
from sqlalchemy import select

from geo.crs import from_wgs84_arrays
from models.cases import Case, RoutedBy
from models.grid import GridUnit, Place, UnitLevel
from models.uow import UnitOfWork
from services.context import Services
from services.grids import import_grid_file, offline_places
from services.routing import route
from tests.conftest import SHARED_DATA, require
from tests.world import tg_user

BERLIN = SHARED_DATA / "berlin_bezirke.geojson"
CELL = 0.001
LAT0, LON0 = 31.23, 121.47  # Shanghai: inside China, where GCJ-02 shifts points by hundreds of metres


def feature(unit_id: str, name: str, geometry: Any, parent: str | None = None) -> dict[str, Any]:
    """A GeoJSON feature with the default property names."""
    props = {"id": unit_id, "name": name} | ({"parent": parent} if parent else {})
    return {"type": "Feature", "properties": props, "geometry": shapely.geometry.mapping(geometry)}


def collection(*features: dict[str, Any]) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": list(features)}


def cells(cols: int, rows: int, parent: str | None = "C1", suffix: str = "") -> dict[str, Any]:
    """``cols`` × ``rows`` grid cells of about 100 m named ``g<col>-<row>``."""
    return collection(
        *(
            feature(
                f"g{c}-{r}",
                f"Cell {c}-{r}{suffix}",
                box(LON0 + c * CELL, LAT0 + r * CELL, LON0 + (c + 1) * CELL, LAT0 + (r + 1) * CELL),
                parent,
            )
            for c in range(cols)
            for r in range(rows)
        )
    )


def brute_force(units: list[tuple[str, Any]], lat: float, lon: float) -> str | None:
    """The smallest id among the units covering the point, checked one by one."""
    point = shapely.Point(lon, lat)
    hits = sorted(unit_id for unit_id, geometry in units if geometry.covers(point))
    return hits[0] if hits else None


async def decide(services: Services, lat: float, lon: float, category: str = "0201"):  # type: ignore[no-untyped-def]
    async with UnitOfWork(services.db) as uow:
        return await route(services, uow.session, lat, lon, category)


async def stored(services: Services) -> dict[str, GridUnit]:
    async with UnitOfWork(services.db) as uow:
        return {u.id: u for u in await uow.session.scalars(select(GridUnit))}


async def import_hierarchy(services: Services, cols: int = 6, rows: int = 5) -> None:
    block = box(LON0, LAT0, LON0 + cols * CELL, LAT0 + rows * CELL)
    await import_grid_file(services, collection(feature("D1", "Huangpu", block)), level=UnitLevel.DISTRICT)
    await import_grid_file(services, collection(feature("S1", "Nanjing Road", block, "D1")), level=UnitLevel.STREET)
    await import_grid_file(services, collection(feature("C1", "Community 1", block, "S1")), level=UnitLevel.COMMUNITY)
    await import_grid_file(services, cells(cols, rows))


async def test_berlin_districts_route_like_brute_force(services: Services) -> None:
    require(BERLIN.exists(), f"{BERLIN} is missing")
    summary = await import_grid_file(services, BERLIN, level=UnitLevel.DISTRICT, id_field="cartodb_id")
    assert len(summary.created) == 12 and not summary.rejected
    units = await stored(services)
    assert units["1"].name == "Mitte" and units["1"].level == UnitLevel.DISTRICT
    polygons = [(u.id, shapely.from_geojson(u.geometry)) for u in units.values()]
    minx, miny, maxx, maxy = shapely.total_bounds([g for _, g in polygons])
    rng = np.random.default_rng(7)
    hits = 0
    lats, lons = rng.uniform(miny, maxy, 300).tolist(), rng.uniform(minx, maxx, 300).tolist()
    for lat, lon in zip(lats, lons, strict=True):
        expected = brute_force(polygons, lat, lon)
        decision = await decide(services, lat, lon)
        if expected is not None:
            hits += 1
            assert (decision.unit_id, decision.routed_by) == (expected, RoutedBy.INSIDE)
            assert decision.chain == (expected,)
        elif decision.routed_by == RoutedBy.SNAPPED:
            assert decision.snap_distance_m is not None and decision.snap_distance_m <= 100
            nearest = dict(polygons)[decision.unit_id].distance(shapely.Point(lon, lat))  # degrees
            assert nearest * 111_320 * math.cos(math.radians(lat)) <= 101
        else:
            assert decision.routed_by == RoutedBy.UNROUTED and decision.unit_id is None
    assert 100 < hits < 300  # both sides exercised


async def test_generated_grid_routes_like_brute_force_with_its_chain(services: Services) -> None:
    await import_hierarchy(services)
    units = await stored(services)
    grids = [(u.id, shapely.from_geojson(u.geometry)) for u in units.values() if u.level == UnitLevel.GRID]
    assert len(grids) == 30
    rng = np.random.default_rng(11)
    lats = rng.uniform(LAT0, LAT0 + 5 * CELL, 200).tolist()
    lons = rng.uniform(LON0, LON0 + 6 * CELL, 200).tolist()
    # Points exactly on shared edges and corners go to the smallest id, like the brute force.
    lats += [LAT0 + 2 * CELL, LAT0 + 2.5 * CELL]
    lons += [LON0 + 3 * CELL, LON0 + 1 * CELL]
    for lat, lon in zip(lats, lons, strict=True):
        expected = brute_force(grids, lat, lon)
        decision = await decide(services, lat, lon)
        assert decision.unit_id == expected
        assert decision.chain == (expected, "C1", "S1", "D1")


async def test_reimport_updates_in_place_and_cases_keep_their_unit(services: Services) -> None:
    await import_hierarchy(services, cols=2, rows=2)
    now = services.clock.now()
    async with UnitOfWork(services.db) as uow:
        reporter = tg_user(1, created_at=now)
        uow.session.add(reporter)
        await uow.session.flush()
        case = Case(
            reporter_id=reporter.id,
            category="0201",
            lat=LAT0,
            lon=LON0,
            unit_id="g0-0",
            chain="g0-0>C1>S1>D1",
            reported_at=now,
        )
        uow.session.add(case)
        await uow.commit()
        case_id = case.id
    # The redrawn file: new names everywhere, and g0-0 moved one cell east.
    redrawn = cells(2, 2, suffix=" (2027)")
    redrawn["features"][0]["geometry"] = shapely.geometry.mapping(
        box(LON0 + 5 * CELL, LAT0, LON0 + 6 * CELL, LAT0 + CELL)
    )
    summary = await import_grid_file(services, redrawn)
    assert sorted(summary.updated) == ["g0-0", "g0-1", "g1-0", "g1-1"] and not summary.created
    units = await stored(services)
    assert units["g0-0"].name == "Cell 0-0 (2027)"
    async with UnitOfWork(services.db) as uow:
        kept = await uow.session.get(Case, case_id)
        assert kept is not None and kept.unit_id == "g0-0"
    assert (await decide(services, LAT0 + 0.5 * CELL, LON0 + 5.5 * CELL)).unit_id == "g0-0"
    # The same file again changes nothing.
    again = await import_grid_file(services, redrawn)
    assert len(again.unchanged) == 4 and not again.updated


async def test_gcj02_grid_file_is_stored_and_routed_in_wgs84(services: Services, tmp_path: Path) -> None:
    wgs = cells(3, 3, parent=None)
    gcj = json.loads(json.dumps(wgs))
    for item in gcj["features"]:
        ring = np.array(item["geometry"]["coordinates"][0])
        lat, lon = from_wgs84_arrays(ring[:, 1], ring[:, 0], "gcj02")
        item["geometry"]["coordinates"][0] = np.column_stack([lon, lat]).tolist()
    path = tmp_path / "gcj.geojson"
    path.write_text(json.dumps(gcj), encoding="utf-8")
    await import_grid_file(services, path, crs="gcj02")
    units = await stored(services)
    original = shapely.geometry.shape(wgs["features"][4]["geometry"])
    imported = shapely.from_geojson(units["g1-1"].geometry)
    assert shapely.hausdorff_distance(original, imported) * 111_000 < 1.0  # metres
    # A WGS-84 phone position in the middle of cell 1-1 lands in it.
    assert (await decide(services, LAT0 + 1.5 * CELL, LON0 + 1.5 * CELL)).unit_id == "g1-1"


async def test_bad_features_are_reported_not_imported(services: Services) -> None:
    def ring(*points: tuple[float, float]) -> shapely.Polygon:
        return shapely.Polygon([(LON0 + x * CELL, LAT0 + y * CELL) for x, y in points])

    bowtie = ring((0, 0), (1, 1), (1, 0), (0, 1))  # the two lobes cancel out: refused
    twisted = ring((0, 2), (1, 2), (1, 3), (0.5, 3), (0.5, 3.0001), (0.5001, 3), (0, 3))  # tiny twist: fixed
    data = collection(
        feature("ok", "Fine", box(LON0 + 5 * CELL, LAT0, LON0 + 6 * CELL, LAT0 + CELL), parent="NOWHERE"),
        feature("over", "Overlapping", box(LON0 + 5.5 * CELL, LAT0, LON0 + 6.5 * CELL, LAT0 + CELL)),
        feature("bowtie", "Figure eight", bowtie),
        feature("spike", "Small twist", twisted),
        {"type": "Feature", "properties": {"id": "pt"}, "geometry": {"type": "Point", "coordinates": [1, 2]}},
        {"type": "Feature", "properties": {"name": "no id"}, "geometry": shapely.geometry.mapping(box(0, 0, 1, 1))},
    )
    summary = await import_grid_file(services, data)
    assert sorted(summary.created) == ["ok", "over", "spike"]
    assert {r.unit_id for r in summary.rejected} == {"bowtie", "pt", None}
    assert [r.unit_id for r in summary.repaired] == ["spike"]
    assert [(o.first_id, o.second_id) for o in summary.overlaps] == [("ok", "over")]
    assert summary.missing_parents == {"ok": "NOWHERE"}
    assert (await stored(services))["ok"].parent_id is None


async def test_prune_deactivates_units_missing_from_the_file(services: Services) -> None:
    await import_grid_file(services, cells(2, 1, parent=None))
    summary = await import_grid_file(services, cells(1, 1, parent=None), prune=True)
    assert summary.deactivated == ["g1-0"]
    units = await stored(services)
    assert not units["g1-0"].active and units["g0-0"].active
    assert (await decide(services, LAT0 + 0.5 * CELL, LON0 + 1.5 * CELL)).unit_id != "g1-0"


async def test_progress_is_reported_for_reading_and_saving(services: Services) -> None:
    seen: list[tuple[str, int, int]] = []
    await import_grid_file(services, cells(30, 40, parent=None), on_progress=lambda *a: seen.append(a))
    assert ("read", 1200, 1200) in seen and seen[-1] == ("save", 1200, 1200)
    assert len([s for s in seen if s[0] == "save"]) >= 3


async def test_offline_places_know_units_and_stored_places(services: Services) -> None:
    await import_hierarchy(services, cols=2, rows=2)
    async with UnitOfWork(services.db) as uow:
        uow.session.add(Place(name="人民广场", aliases="People's Square|Renmin Guangchang", lat=31.2317, lon=121.4753))
        await uow.commit()
    async with UnitOfWork(services.db) as uow:
        places = await offline_places(uow.session)
    by_name = {p.name: p for p in places}
    assert by_name["人民广场"].aliases == ("People's Square", "Renmin Guangchang")
    cell = by_name["Cell 1-0"]
    assert (cell.lat, cell.lon) == pytest.approx((LAT0 + 0.5 * CELL, LON0 + 1.5 * CELL))
    assert places[0].name == "人民广场" and "Huangpu" in by_name
