"""Typed addresses through the offline geocoder: its index is built once and again only with the grid index."""

from __future__ import annotations

from typing import Any

import pytest

from models.grid import UnitLevel
from models.uow import UnitOfWork
from services import intake_places
from services.context import Services
from services.grids import save_unit
from services.routing import load_grid_index
from tests.integration.test_routing_service import build_hierarchy, cell_box


@pytest.fixture
def builds(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts how often the names are read from the database to build the geocoder's index."""
    counted: list[int] = []
    real = intake_places.offline_places

    async def counting(session: Any) -> Any:
        places = await real(session)
        counted.append(len(places))
        return places

    monkeypatch.setattr(intake_places, "offline_places", counting)
    return counted


async def resolve(services: Services, text: str) -> str | None:
    async with UnitOfWork(services.db) as uow:
        found = await intake_places.resolve_address(services, uow.session, text)
    return None if found is None else found.address


async def test_typing_addresses_reads_the_names_once(services: Services, builds: list[int]) -> None:
    await build_hierarchy(services)
    await load_grid_index(services)
    answers = [await resolve(services, text) for text in ("Grid 1,2", "Community C10", "grid 3,3", "Nowhere Park")]
    assert answers == ["Grid 1,2", "Community C10", "Grid 3,3", None]
    assert len(builds) == 1


async def test_a_grid_import_is_found_by_the_next_typed_address(services: Services, builds: list[int]) -> None:
    await build_hierarchy(services)
    await load_grid_index(services)
    assert await resolve(services, "Harbour Gate") is None
    async with UnitOfWork(services.db) as uow:
        await save_unit(
            uow.session,
            unit_id="G99",
            name="Harbour Gate",
            level=UnitLevel.GRID,
            now=services.clock.now(),
            parent_id="C00",
            geometry=cell_box(9, 9),
        )
        await uow.commit()
    await load_grid_index(services)  # what an import does when it has saved the units
    assert await resolve(services, "Harbour Gate") == "Harbour Gate"
    assert await resolve(services, "Grid 0,0") == "Grid 0,0"
    assert len(builds) == 2


async def test_the_start_up_hook_builds_the_index_before_the_first_address(
    services: Services, builds: list[int]
) -> None:
    await build_hierarchy(services)
    await load_grid_index(services)
    await intake_places.load_offline_geocoder(services)
    assert builds == [1 + 2 + 4 + 16]  # district, streets, communities, grids
    assert await resolve(services, "Street S2") == "Street S2"
    assert len(builds) == 1
