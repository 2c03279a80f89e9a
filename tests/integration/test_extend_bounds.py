"""延期 is bounded: an absurd amount gets a clear answer and leaves the deadline as it was (both backends)."""

from __future__ import annotations

import pytest

from services import cases
from services.cases import CaseActionError
from services.context import Services
from services.i18n import Translator
from tests.integration.test_cases_dispatch import World, act, build_world, load, new_case
from tests.integration.test_cases_officer import refused


@pytest.mark.parametrize("amount", ["99999999d", "9000h", "366d", "400wd"])
async def test_an_extension_over_a_year_is_refused_and_changes_nothing(services: Services, amount: str) -> None:
    world = await build_world(services)
    case_id = await new_case(world)
    before = await load(world, case_id)
    answer = await refused(world, cases.extend_deadline, case_id, world.community, amount)
    assert answer == "An extension can add at most 365 days (or 8760 hours). For longer, use /suspend."
    after = await load(world, case_id)
    assert (after.due_at, after.extension_count) == (before.due_at, before.extension_count)


async def test_the_refusal_reads_in_chinese(services: Services) -> None:
    world = await build_world(services)
    case_id = await new_case(world)
    with pytest.raises(CaseActionError) as caught:
        await act(world, cases.extend_deadline, case_id, world.community, "99999999d")
    assert (
        caught.value.render(Translator("zh_CN"))
        == "单次延期最多 365 天（或 8760 小时）。需要更长时间请使用 /suspend 挂账。"
    )


async def test_a_year_is_still_allowed(services: Services) -> None:
    world: World = await build_world(services)
    case_id = await new_case(world)
    due = await act(world, cases.extend_deadline, case_id, world.community, "365d")
    assert due == (await load(world, case_id)).due_at
