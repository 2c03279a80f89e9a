"""A small city with a hand-computed week of cases, for the weekly summary tests.

District D1 (东城区) → streets S1 (东华门街道), S2 (景山街道) → communities C1, C2 → grids G1, G2.
Week 2026-W47 runs Monday 2026-11-16 00:00 to Monday 2026-11-23 00:00 Beijing time. The expected figures are
worked out by hand in ``tests/integration/test_summary_kpis.py``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from models.cases import Case, RoutedBy
from models.grid import UnitLevel
from models.status import CaseStatus
from services.context import Services
from tests.world import beijing, build

S = CaseStatus
CHAIN_1 = "G1>C1>S1>D1"
CHAIN_2 = "G2>C2>S2>D1"
#: When the W47 summary is computed: Monday 2026-11-23 09:00 Beijing.
SUMMARY_TIME = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)


def bj(day: int, hour: int, minute: int = 0, month: int = 11) -> datetime:
    """A Beijing wall-clock time in November 2026, as an aware datetime."""
    return beijing(2026, month, day, hour, minute)


UNITS = [
    ("D1", "东城区", UnitLevel.DISTRICT, None),
    ("S1", "东华门街道", UnitLevel.STREET, "D1"),
    ("S2", "景山街道", UnitLevel.STREET, "D1"),
    ("C1", "多福巷社区", UnitLevel.COMMUNITY, "S1"),
    ("C2", "黄化门社区", UnitLevel.COMMUNITY, "S2"),
    ("G1", "网格 1", UnitLevel.GRID, "C1"),
    ("G2", "网格 2", UnitLevel.GRID, "C2"),
]

# Reporters: 1 and 3 joined the leaderboard, 2 did not.
USERS = [(1, 9001, True), (2, 9002, False), (3, 9003, True)]

# (number, reporter, chain, category, status, fields). Numbers are the case ids the tests talk about.
CASES: list[tuple[int, int, str, str, CaseStatus, dict[str, Any]]] = [
    (1, 1, CHAIN_1, "0201", S.CLOSED, dict(
        reported_at=bj(16, 9), dispatched_at=bj(16, 9, 5), due_at=bj(16, 17), resolved_at=bj(16, 15),
        closed_at=bj(16, 16), closed_on_time=True, satisfied=True)),
    (2, 1, CHAIN_1, "0201", S.CLOSED, dict(
        reported_at=bj(17, 10), dispatched_at=bj(17, 10), due_at=bj(17, 12), resolved_at=bj(17, 14),
        closed_at=bj(18, 9), closed_on_time=False, rework_count=1, satisfied=False)),
    (3, 1, CHAIN_1, "0102", S.SUSPENDED, dict(
        reported_at=bj(18, 10), dispatched_at=bj(18, 10), due_at=bj(18, 14), suspended_at=bj(18, 11),
        suspended_from=S.DISPATCHED)),
    # Sunday 23:30 in Beijing is Sunday 15:30 UTC: the last minutes of W47.
    (4, 1, CHAIN_1, "0505", S.DISPATCHED, dict(
        reported_at=bj(22, 23, 30), dispatched_at=bj(22, 23, 31), due_at=bj(23, 1, 31))),
    # Monday 00:10 in Beijing is still Sunday (16:10) in UTC, but the case belongs to W48.
    (5, 2, CHAIN_1, "0201", S.DISPATCHED, dict(
        reported_at=bj(23, 0, 10), dispatched_at=bj(23, 0, 10), due_at=bj(23, 18))),
    (6, 1, CHAIN_1, "99", S.DUPLICATE, dict(reported_at=bj(19, 10), closed_at=bj(19, 10))),
    (7, 3, CHAIN_2, "0201", S.CLOSED, dict(
        reported_at=bj(19, 9), dispatched_at=bj(19, 9), due_at=bj(20, 9), resolved_at=bj(19, 17),
        closed_at=bj(20, 8))),  # closed_on_time not recorded: closed before the deadline counts as on time
    (8, 1, CHAIN_2, "0506", S.ACCEPTED, dict(
        reported_at=bj(20, 10), dispatched_at=bj(20, 10), accepted_at=bj(20, 10, 30), due_at=bj(20, 12),
        return_count=1)),
    (9, 2, CHAIN_2, "0201", S.REJECTED, dict(reported_at=bj(21, 10), closed_at=bj(21, 10, 30))),
    # W46:
    (10, 2, CHAIN_2, "0201", S.CLOSED, dict(
        reported_at=bj(10, 10), dispatched_at=bj(10, 10), due_at=bj(10, 14), resolved_at=bj(10, 12),
        closed_at=bj(10, 13), closed_on_time=True)),
    (11, 2, CHAIN_1, "0102", S.CLOSED, dict(
        reported_at=bj(13, 10), dispatched_at=bj(13, 10), due_at=bj(16, 10), resolved_at=bj(16, 10, 30),
        closed_at=bj(16, 11), closed_on_time=False, satisfied=True)),
    # Nobody's grid: waits for a dispatcher, counts for the city only.
    (12, 2, "", "99", S.UNROUTED, dict(reported_at=bj(18, 12))),
]  # fmt: skip


async def build_world(services: Services) -> None:
    """Write the units, users and cases above."""
    async with build(services, datetime(2026, 11, 1, tzinfo=UTC)) as city:
        await city.units(UNITS)
        for user_id, telegram_id, opt_in in USERS:
            await city.person(telegram_id, f"U{user_id}", id=user_id, leaderboard_opt_in=opt_in)
        for number, reporter, chain, category, status, values in CASES:
            unit = chain.split(">")[0] or None
            city.session.add(
                Case(
                    id=number,
                    reporter_id=reporter,
                    category=category,
                    status=status,
                    lat=39.9,
                    lon=116.4,
                    unit_id=unit,
                    chain=chain,
                    routed_by=RoutedBy.INSIDE if unit else RoutedBy.UNROUTED,
                    **values,
                )
            )
