"""The week's figures against a hand-computed week (see summary_world.py), on SQLite and PostgreSQL.

Worked by hand for 2026-W47 (Mon 16 – Sun 22 November, Beijing):
- received: cases 1-4, 6-9, 12 = 9 (5 is Monday 00:10 of W48; 10 and 11 are W46); registered: minus the
  duplicate 6 and the rejected 9 = 7; dispatched: 1, 2, 3, 4, 7, 8 = 6; closed by the week's end: 1, 2, 7 = 3.
- closed in the week: 1, 2, 7 and 11 (reported in W46) = 4; reworked among them: 2 → 1/4.
- due in the week: 1, 2, 3, 7, 8, 11 = 6 (4 falls due on Monday of W48); suspended: 3; on time: 1 (flag), 7
  (no flag, closed before its deadline) → 2 / (6 − 1) = 40%.
- open at the week's end: 3, 4, 8, 12 = 4; of those overdue at the week's end: 8 = 1 (3 is suspended, 4 falls
  due on Monday, 12 has no deadline).
- handling hours (dispatch → done): 5h55 + 4 + 8 + 72.5 = 90.4167 over 4 cases.
- satisfaction: "Fixed" for 1 and 11, "Not fixed" for 2, no answer for 7 → 2/3.
"""

from __future__ import annotations

import pytest

from services.context import Services
from services.summary.compute import compute_summary
from services.summary.figures import WeekSummary, best_and_bottom
from services.summary.weeks import IsoWeek
from tests.integration.summary_world import SUMMARY_TIME, build_world


async def week(services: Services, text: str) -> WeekSummary:
    async with services.db.sessions() as session:
        return await compute_summary(
            session, IsoWeek.parse(text), tz=services.tz, now=SUMMARY_TIME, config=services.config.summary
        )


@pytest.fixture
async def w47(services: Services) -> WeekSummary:
    await build_world(services)
    return await week(services, "2026-W47")


async def test_city_counts_match_the_hand_computed_week(w47: WeekSummary) -> None:
    c = w47.city.counts
    assert (c.received, c.registered, c.dispatched, c.closed_registered) == (9, 7, 6, 3)
    assert (c.closed, c.reworked, c.open_at_end, c.overdue_at_end) == (4, 1, 4, 1)
    assert (c.due, c.due_suspended, c.due_closed_on_time) == (6, 1, 2)
    assert (c.returned, c.satisfied, c.answered) == (1, 2, 3)


async def test_city_rates_match_the_hand_computed_week(w47: WeekSummary) -> None:
    c = w47.city.counts
    assert c.on_time_rate == pytest.approx(0.4)
    assert c.rework_rate == pytest.approx(0.25)
    assert c.closure_rate == pytest.approx(3 / 7)
    assert c.return_rate == pytest.approx(1 / 6)
    assert c.satisfaction == pytest.approx(2 / 3)
    assert c.avg_handling_hours == pytest.approx(90.41667 / 4, abs=1e-3)


async def test_each_street_counts_the_cases_of_its_grids(w47: WeekSummary) -> None:
    s1, s2 = w47.units["S1"].counts, w47.units["S2"].counts
    assert (s1.received, s1.registered, s1.closed, s1.reworked, s1.open_at_end, s1.overdue_at_end) == (5, 4, 3, 1, 2, 0)
    assert s1.on_time_rate == pytest.approx(1 / 3)  # 1 on time of 2, 3 (suspended), 11 due
    assert s1.avg_handling_hours == pytest.approx((5 + 55 / 60 + 4 + 72.5) / 3, abs=1e-3)
    assert (s2.received, s2.registered, s2.closed, s2.returned, s2.open_at_end, s2.overdue_at_end) == (3, 2, 1, 1, 1, 1)
    assert s2.on_time_rate == pytest.approx(0.5) and s2.return_rate == pytest.approx(0.5)
    assert s2.satisfaction is None  # nobody answered


async def test_every_level_of_the_chain_gets_the_same_cases(w47: WeekSummary) -> None:
    for grid, community, street in (("G1", "C1", "S1"), ("G2", "C2", "S2")):
        assert w47.units[grid].counts == w47.units[community].counts == w47.units[street].counts
    district = w47.units["D1"].counts
    assert district.received == 8  # the city's 9 minus the case no grid covers
    assert district.open_at_end == 3 and w47.city.counts.open_at_end == 4


async def test_the_week_before_is_there_for_the_change(w47: WeekSummary) -> None:
    p = w47.city.previous
    assert (p.received, p.closed, p.due, p.due_closed_on_time, p.open_at_end) == (2, 1, 1, 1, 1)
    assert w47.units["S1"].previous.received == 1 and w47.units["S2"].previous.received == 1


async def test_monday_just_after_midnight_in_beijing_belongs_to_the_next_week(services: Services) -> None:
    await build_world(services)
    w48 = await week(services, "2026-W48")
    # Case 5 (Monday 00:10 Beijing, Sunday 16:10 UTC) is W48's only case; case 4 (Sunday 23:30) stayed in W47.
    assert w48.city.counts.received == 1
    assert w48.city.categories == {"0201": 1}
    assert w48.city.previous.received == 9


async def test_top_categories_count_registered_cases_only(w47: WeekSummary) -> None:
    assert w47.city.top_categories(3) == [("0201", 3), ("0102", 1), ("0505", 1)]
    assert w47.units["S2"].categories == {"0201": 1, "0506": 1}  # the rejected 0201 (case 9) is not a problem


async def test_streets_are_ranked_by_on_time_rate(w47: WeekSummary) -> None:
    best, bottom = best_and_bottom(w47.children(None, "street"), 1, 1, 2)
    assert [u.name for u in best] == ["景山街道"] and [u.name for u in bottom] == ["东华门街道"]


async def test_leaderboard_lists_opted_in_volunteers_by_valid_reports(w47: WeekSummary) -> None:
    # Volunteer 1: cases 1, 2, 3, 4, 8 (6 was a duplicate); volunteer 3: case 7; user 2 did not opt in.
    assert [e.valid_reports for e in w47.leaderboard] == [5, 1]
    codes = [e.pseudonym for e in w47.leaderboard]
    assert all(len(code) == 6 and code.isalnum() for code in codes) and len(set(codes)) == 2
    assert not any(code in ("U1", "U3", "9001", "9003") for code in codes)
