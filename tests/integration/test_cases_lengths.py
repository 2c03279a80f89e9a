"""Staff texts are capped where they are written, on both backends: a refused text changes nothing."""

from __future__ import annotations

import pytest

from services import cases
from services.context import Services
from tests.integration.test_cases_dispatch import act, build_world, load, new_case
from tests.integration.test_cases_officer import AFTER, refused

TOO_LONG = "That is too long: at most 500 characters, yours has 501. Please send a shorter text."


async def test_a_resolve_note_over_the_limit_is_refused(services: Services) -> None:
    world = await build_world(services)
    case_id = await new_case(world)
    await act(world, cases.accept, case_id, world.officer_a)
    assert await refused(world, cases.resolve, case_id, world.officer_a, AFTER, "n" * 501) == TOO_LONG
    await act(world, cases.resolve, case_id, world.officer_a, AFTER, "n" * 500)
    assert (await load(world, case_id)).status == "resolved"


@pytest.mark.parametrize("action", ["return_case", "suspend", "close_on_behalf"])
async def test_a_reason_over_the_limit_is_refused(services: Services, action: str) -> None:
    world = await build_world(services)
    case_id = await new_case(world)
    who = world.officer_a if action == "return_case" else world.community
    assert await refused(world, getattr(cases, action), case_id, who, "r" * 501) == TOO_LONG
    assert (await load(world, case_id)).status == "dispatched"
