"""KPI arithmetic, ranking and the stored form of a week's figures."""

from __future__ import annotations

import pytest

from services.summary.figures import (
    Counts,
    LeaderEntry,
    Rate,
    UnitFigures,
    WeekSummary,
    best_and_bottom,
    change_in_tenths,
    ranking,
    tenths_text,
)


def unit(uid: str, on_time: tuple[int, int] | None, overdue: int = 0, closed: int = 0, **extra: int) -> UnitFigures:
    """A street whose on-time rate is on_time[0] / on_time[1] (None: nothing fell due)."""
    done, due = on_time or (0, 0)
    counts = Counts(due=due, due_closed_on_time=done, overdue_at_end=overdue, closed=closed, **extra)
    return UnitFigures(id=uid, name=f"Street {uid}", level="street", counts=counts)


def test_rates_are_the_documented_ratios() -> None:
    c = Counts(
        registered=8, closed_registered=6, due=10, due_suspended=2, due_closed_on_time=6, closed=5, reworked=1,
        dispatched=4, returned=1, handling_hours=12.0, handling_timed=3, satisfied=3, answered=4,
    )  # fmt: skip
    assert c.closure_rate == 6 / 8
    assert c.on_time_rate == 6 / 8  # suspended cases are excused: 6 / (10 - 2)
    assert c.rework_rate == 1 / 5
    assert c.return_rate == 1 / 4
    assert c.avg_handling_hours == 4.0
    assert c.satisfaction == 3 / 4


def test_a_rate_with_nothing_to_divide_by_is_unknown_not_zero() -> None:
    c = Counts(due=2, due_suspended=2)
    assert c.on_time_rate is None
    assert c.closure_rate is None and c.satisfaction is None and c.avg_handling_hours is None
    assert not Counts().active and c.active


def test_counts_add_up_from_grids_to_streets() -> None:
    total = Counts(received=2, handling_hours=1.5)
    total.add(Counts(received=3, handling_hours=2.0, overdue_at_end=1))
    assert (total.received, total.handling_hours, total.overdue_at_end) == (5, 3.5, 1)


def test_ranking_puts_the_best_on_time_rate_first_and_breaks_ties_by_closures_then_overdue_cases() -> None:
    units = [
        unit("A", (1, 2)),
        unit("B", (3, 3)),
        unit("C", (1, 2), overdue=2),
        unit("D", None),
        unit("E", (2, 4)),
    ]
    # D has nothing due; A, C and E publish 50.0%: E closed two on time, A and C one each, C has overdue cases.
    assert [u.id for u in ranking(units, 1)] == ["B", "E", "A", "C"]


def test_units_with_fewer_cases_due_than_the_minimum_are_not_ranked() -> None:
    units = [unit("one", (1, 1)), unit("few", (4, 5)), unit("many", (6, 10)), unit("idle", None, registered=4)]
    assert [u.id for u in ranking(units, 5)] == ["few", "many"]  # 1/1 = 100% on one case does not top the list
    assert [u.id for u in ranking(units, 1)] == ["one", "few", "many"]
    suspended = unit("paused", (5, 9), due_suspended=5)  # 4 left in the denominator
    assert not suspended.ranked(5) and suspended.ranked(4)


def test_best_and_bottom_never_name_a_unit_twice() -> None:
    units = [unit(str(i), (i, 10)) for i in range(1, 8)]
    best, bottom = best_and_bottom(units, 3, 3, 5)
    assert [u.id for u in best] == ["7", "6", "5"]
    assert [u.id for u in bottom] == ["3", "2", "1"]
    best, bottom = best_and_bottom(units[:4], 3, 3, 5)
    assert [u.id for u in best] == ["4", "3", "2"] and [u.id for u in bottom] == ["1"]


def test_rates_are_published_to_a_tenth_of_a_percent_rounded_half_up_from_the_exact_fraction() -> None:
    assert Rate(1, 8).tenths == 125 and tenths_text(125) == "12.5"
    assert Rate(1, 16).tenths == 63  # 6.25 % → 6.3 %, as people round (not to the even 6.2 %)
    assert Rate(2, 3).tenths == 667 and Rate(1, 3).tenths == 333
    assert Rate(6, 11).tenths == 545 and Rate(7, 8).tenths == 875
    assert Rate(0, 0).tenths is None and Rate(3, 3).tenths == 1000


def test_a_change_is_the_difference_of_the_two_published_figures() -> None:
    # W48 published 87.5 % (7/8), W49 54.5 % (6/11): the change is -33.0 points, not the unrounded -32.95.
    assert change_in_tenths(Rate(6, 11), Rate(7, 8)) == -330
    assert tenths_text(-330) == "-33.0" and tenths_text(-5) == "-0.5"
    assert change_in_tenths(Rate(1, 2), Rate(0, 0)) is None


def test_top_categories_are_the_most_reported_with_a_stable_order_for_ties() -> None:
    f = UnitFigures(id="S1", name="S1", level="street", categories={"0102": 2, "0201": 5, "0505": 2, "99": 1})
    assert f.top_categories(3) == [("0201", 5), ("0102", 2), ("0505", 2)]


def test_a_summary_survives_its_json_round_trip() -> None:
    city = UnitFigures(id="", name="", level="city", counts=Counts(received=3, handling_hours=2.5))
    street = unit("S1", (1, 2))
    street.parent_id = "D1"
    street.categories = {"0201": 3}
    summary = WeekSummary("2026-W47", "2026-11-23T01:00:00+00:00", city, {"S1": street}, [LeaderEntry("ABC", 4)])
    again = WeekSummary.from_json(summary.to_json())
    assert again == summary
    stored = summary.to_json()
    stored["units"]["S1"]["counts"]["overdue_now"] = stored["units"]["S1"]["counts"].pop("overdue_at_end") + 4
    assert WeekSummary.from_json(stored).units["S1"].counts.overdue_at_end == 4  # a row stored before the rename
    assert again.scope("S1").counts.on_time_rate == pytest.approx(0.5)
    assert again.scope("nowhere") is again.city
