"""route(): a report's point and category pick the unit, its chain and how it was routed (both databases)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from shapely import box

from geo.crs import InvalidCoordinates
from models.cases import RoutedBy
from models.grid import UnitLevel
from models.uow import UnitOfWork
from services.clock import ManualClock
from services.config import CategoryRule
from services.context import Services
from services.grids import add_department
from services.routing import grid_index, load_grid_index, route, unit_chain
from tests.world import build

# 100 m is about 0.0009° of latitude; cells are 0.001° square, from (39.9 N, 116.4 E).
CELL = 0.001
LAT0, LON0 = 39.9, 116.4


def cell_box(col: int, row: int):  # type: ignore[no-untyped-def]
    """The WGS-84 square of cell (col, row)."""
    return block(col, row, 1, 1)


def cell_center(col: int, row: int) -> tuple[float, float]:
    """(lat, lon) of the middle of cell (col, row)."""
    return LAT0 + (row + 0.5) * CELL, LON0 + (col + 0.5) * CELL


def block(col: int, row: int, cols: int, rows: int):  # type: ignore[no-untyped-def]
    """The rectangle of ``cols`` × ``rows`` cells from cell (col, row)."""
    return box(LON0 + col * CELL, LAT0 + row * CELL, LON0 + (col + cols) * CELL, LAT0 + (row + rows) * CELL)


async def build_hierarchy(services: Services, size: int = 4) -> None:
    """District D1 → streets S1 (west half), S2 (east half) → one community per quadrant → ``size``² grids."""
    half = size // 2
    async with build(services) as city:
        await city.area("D1", "Dongcheng", UnitLevel.DISTRICT, block(0, 0, size, size))
        for street, col0 in (("S1", 0), ("S2", half)):
            await city.area(street, f"Street {street}", UnitLevel.STREET, block(col0, 0, half, size), parent="D1")
        for col in range(size):
            for row in range(size):
                community = f"C{col // half}{row // half}"
                if row % half == 0 and col % half == 0:
                    street = "S1" if col < half else "S2"
                    shape = block(col, row, half, half)
                    await city.area(community, f"Community {community}", UnitLevel.COMMUNITY, shape, parent=street)
                await city.area(f"G{col}{row}", f"Grid {col},{row}", UnitLevel.GRID, cell_box(col, row), community)
    await load_grid_index(services)


async def decide(services: Services, lat: float, lon: float, category: str = "0201"):  # type: ignore[no-untyped-def]
    async with UnitOfWork(services.db) as uow:
        return await route(services, uow.session, lat, lon, category)


async def test_point_inside_a_grid_goes_to_it_with_the_chain_up_to_the_district(services: Services) -> None:
    await build_hierarchy(services)
    assert len(grid_index(services)) == 16  # only the lowest level is routed to
    decision = await decide(services, *cell_center(3, 1))
    assert decision.unit_id == "G31"
    assert decision.chain == ("G31", "C10", "S2", "D1")
    assert decision.routed_by == RoutedBy.INSIDE
    assert decision.snap_distance_m is None
    assert decision.chain_text == "G31>C10>S2>D1"


async def test_point_just_outside_snaps_and_far_point_is_unrouted(services: Services) -> None:
    await build_hierarchy(services)
    lat, _ = cell_center(0, 2)
    # 0.0005° of longitude west of the block at 39.9 N is about 43 m.
    snapped = await decide(services, lat, LON0 - 0.0005)
    assert (snapped.unit_id, snapped.routed_by) == ("G02", RoutedBy.SNAPPED)
    assert snapped.snap_distance_m is not None and 40 < snapped.snap_distance_m < 46
    far = await decide(services, lat, LON0 - 0.01)
    assert far.unit_id is None and far.chain == () and far.routed_by == RoutedBy.UNROUTED


async def test_category_rule_sends_the_category_to_the_department(services: Services) -> None:
    await build_hierarchy(services)
    async with UnitOfWork(services.db) as uow:
        await add_department(uow.session, "TRAFFIC", "Traffic team", services.clock.now(), parent_id="D1")
        await uow.commit()
    services.config.routing.category_rules = [CategoryRule(category="0505", unit="TRAFFIC")]
    parking = await decide(services, *cell_center(1, 1), category="0505")
    assert parking.unit_id == "TRAFFIC"
    assert parking.chain == ("TRAFFIC", "D1")
    assert parking.routed_by == RoutedBy.CATEGORY_RULE
    # Even outside every grid the department gets it; other categories still follow the territory.
    assert (await decide(services, 10.0, 10.0, category="0505")).unit_id == "TRAFFIC"
    assert (await decide(services, *cell_center(1, 1), category="0201")).unit_id == "G11"


async def test_rule_naming_a_missing_unit_falls_back_to_the_territory(services: Services) -> None:
    await build_hierarchy(services)
    services.config.routing.category_rules = [CategoryRule(category="0505", unit="NOBODY")]
    decision = await decide(services, *cell_center(2, 0), category="0505")
    assert (decision.unit_id, decision.routed_by) == ("G20", RoutedBy.INSIDE)


async def test_invalid_coordinates_are_refused(services: Services) -> None:
    await build_hierarchy(services)
    for lat, lon in ((91.0, 116.0), (39.9, 181.0), (0.0, 0.0), (float("nan"), 116.0)):
        with pytest.raises(InvalidCoordinates):
            await decide(services, lat, lon)


async def test_another_process_sees_an_import_within_a_minute(services: Services, clock: ManualClock) -> None:
    await load_grid_index(services)  # the bot started before any unit existed
    assert (await decide(services, *cell_center(0, 0))).routed_by == RoutedBy.UNROUTED
    other = Services.build(services.db, services.config, clock, "Asia/Shanghai", services.data_dir)
    await build_hierarchy(other)  # e.g. `citybot grids import` in another process
    clock.advance(timedelta(seconds=61))
    assert (await decide(services, *cell_center(0, 0))).unit_id == "G00"


async def test_unit_chain_of_unknown_unit_is_empty(services: Services) -> None:
    await build_hierarchy(services)
    async with UnitOfWork(services.db) as uow:
        assert await unit_chain(uow.session, "NOPE") == ()
        assert await unit_chain(uow.session, "C01") == ("C01", "S1", "D1")
