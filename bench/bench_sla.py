"""Benchmark the SLA sweep: its cost must follow the due cases, not the size of the case table.

Run: ``python -m bench.bench_sla`` (one to two minutes, most of it building the databases). Two SQLite databases
are built in a temporary directory for this run only: 100k and 1M cases, 90 % closed and 10 % open, of which
1,000 are due at the sweep's moment: 500 reminders (to the unit's 2 officers), 300 first overdue notices
(2 officers + the community's supervisor, and the reporter told of the escalation) and 200 chases of an owner with
a street-level escalation. Each sweep claims, decides, renders (zh and en) and queues 2,600 outbox rows and writes
1,000 cases' markers. The due cases
are reset between repeats; the table shows the median wall and CPU time of ``REPEATS`` sweeps. The figures that
matter: time(1M) / time(100k), the 100k sweep being the baseline (goal ≤ 1.5), and the 1,000-due sweep time
(goal ≤ 100 ms).
"""

from __future__ import annotations

import asyncio
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import bindparam, column, create_engine, delete, insert, table, text, update
from sqlalchemy.dialects import sqlite
from sqlalchemy.engine import Connection

from models.base import Base, UTCDateTime
from models.cases import Case
from models.db import Database
from models.grid import GridUnit, OfficerBinding
from models.outbox import OutboxMessage
from models.status import CaseStatus
from models.users import User
from services import deadlines
from services.clock import ManualClock
from services.config import load_config
from services.context import Services
from services.sla import sweep

SIZES = (100_000, 1_000_000)
OPEN_SHARE = 0.10
DUE = {"reminder": 500, "overdue": 300, "chase": 200}
REPEATS = 7
NOW = datetime(2026, 11, 16, 7, 0, tzinfo=UTC)  # Monday 15:00 in Beijing, inside working time
STREETS, COMMUNITIES, GRIDS = 6, 6, 15  # per district, per street, per community
MARKERS = (
    "status",
    "owner_id",
    "clock_started_at",
    "clock_unit",
    "due_at",
    "next_check_at",
    "reminder_sent_at",
    "escalation_level",
    "last_chase_at",
    "claimed_by",
    "claimed_until",
)
DATES = (
    "reported_at",
    "dispatched_at",
    "resolved_at",
    "closed_at",
    "clock_started_at",
    "due_at",
    "next_check_at",
    "reminder_sent_at",
    "last_chase_at",
    "claimed_until",
)
_processor = UTCDateTime().bind_processor(sqlite.dialect())
assert _processor is not None
_stored = _processor


def services_for(db: Database) -> Services:
    return Services.build(db, load_config(), ManualClock(NOW), "Asia/Shanghai", Path(tempfile.gettempdir()))


def build_people(conn: Connection) -> tuple[list[str], dict[str, list[int]]]:
    """District > streets > communities > grids; two officers per grid, one supervisor per higher unit."""
    units: list[dict[str, Any]] = [{"id": "D", "name": "东城区", "level": "district", "parent_id": None}]
    chains: list[str] = []
    for s in range(STREETS):
        units.append({"id": f"S{s}", "name": f"街道{s}", "level": "street", "parent_id": "D"})
        for c in range(COMMUNITIES):
            community = f"C{s}-{c}"
            units.append({"id": community, "name": f"社区{s}-{c}", "level": "community", "parent_id": f"S{s}"})
            for g in range(GRIDS):
                grid = f"G{s}-{c}-{g}"
                units.append({"id": grid, "name": f"网格{s}-{c}-{g}", "level": "grid", "parent_id": community})
                chains.append(f"{grid}>{community}>S{s}>D")
    conn.execute(insert(GridUnit), [{**unit, "updated_at": NOW} for unit in units])
    users: list[dict[str, Any]] = []
    bindings: list[dict[str, Any]] = []
    people: dict[str, list[int]] = {}
    for unit in units:
        grid = unit["level"] == "grid"
        for _ in range(2 if grid else 1):
            uid = len(users) + 1
            users.append(
                {
                    "id": uid,
                    "contact_channel": "telegram",
                    "contact_address": str(10_000 + uid),
                    "first_name": f"u{uid}",
                    "language": random.choice(("zh", "en")),
                    "created_at": NOW,
                }
            )
            bindings.append(
                {"user_id": uid, "unit_id": unit["id"], "role": "officer" if grid else "supervisor", "created_at": NOW}
            )
            people.setdefault(unit["id"], []).append(uid)
    users.append(
        {
            "id": len(users) + 1,
            "contact_channel": "telegram",
            "contact_address": "1",
            "first_name": "reporter",
            "language": "zh",
            "created_at": NOW,
        }
    )
    conn.execute(insert(User), users)
    conn.execute(insert(OfficerBinding), bindings)
    return chains, people


def closed_row(chain: str, reporter: int) -> dict[str, Any]:
    month_ago = NOW - timedelta(days=30)
    return {
        "reporter_id": reporter,
        "category": "0102",
        "status": "closed",
        "lat": 39.93,
        "lon": 116.41,
        "language": "zh",
        "unit_id": chain.split(">")[0],
        "chain": chain,
        "routed_by": "inside",
        "owner_id": None,
        "reported_at": month_ago,
        "dispatched_at": month_ago,
        "resolved_at": month_ago + timedelta(days=1),
        "closed_at": month_ago + timedelta(days=1),
        "clock_started_at": month_ago,
        "clock_unit": "working_hours",
        "due_at": month_ago + timedelta(days=1),
        "next_check_at": None,
        "reminder_sent_at": None,
        "escalation_level": 0,
        "last_chase_at": None,
        "claimed_by": None,
        "claimed_until": None,
        "rework_count": 0,
        "return_count": 0,
        "extension_count": 0,
        "source": "telegram",
    }


def due_state(services: Services, kind: str, chain: str, people: dict[str, list[int]]) -> dict[str, Any]:
    """An open case whose next check is due at NOW, in the state ``kind`` needs, planned by the real clock."""
    case = Case(
        category="0505" if kind == "reminder" else "0102",
        status=CaseStatus.DISPATCHED,
        chain=chain,
        unit_id=chain.split(">")[0],
        escalation_level=0,
        extension_count=0,
    )
    # Parking (2 calendar h) 95 min ago: reminder due. Litter (4 working h) from 09:00: due now. Litter from
    # Friday 15:00: due Monday 09:00, chased since; the 13:00 chase and the street level waited out lunch.
    back = {"reminder": timedelta(minutes=95), "overdue": timedelta(hours=6), "chase": timedelta(days=3)}[kind]
    deadlines.start_clock(services, case, NOW - back)
    if kind == "chase":
        case.status, case.owner_id = CaseStatus.ACCEPTED, people[chain.split(">")[0]][0]
        case.escalation_level, case.last_chase_at = 1, case.due_at
    deadlines.plan_next_check(services, case, NOW)
    assert case.next_check_at is not None and case.next_check_at <= NOW, kind
    state = {name: getattr(case, name) for name in MARKERS}
    return state | {"category": case.category, "closed_at": None, "resolved_at": None}


def stored(row: dict[str, Any], memo: dict[datetime, str]) -> dict[str, Any]:
    """Datetimes as SQLite stores them, each distinct value converted once (the build writes a million rows)."""
    for name in DATES:
        value = row[name]
        if value is not None:
            row[name] = memo.get(value) or memo.setdefault(value, _stored(value))
    return row


def build(path: Path, total: int) -> tuple[float, list[tuple[int, dict[str, Any]]]]:
    """Create the database file; return the build time and the due cases' (id, state) for resets."""
    started = time.perf_counter()
    random.seed(total)
    engine = create_engine(f"sqlite:///{path}")
    services = services_for(Database("sqlite+aiosqlite://"))
    due_states: list[tuple[int, dict[str, Any]]] = []
    memo: dict[datetime, str] = {}
    with engine.begin() as conn:
        conn.execute(text("PRAGMA journal_mode=OFF"))
        conn.execute(text("PRAGMA synchronous=OFF"))
        Base.metadata.create_all(conn)
        chains, people = build_people(conn)
        reporter = max(max(ids) for ids in people.values()) + 1
        kinds = [kind for kind, count in DUE.items() for _ in range(count)]
        due_at_index = dict(zip(random.sample(range(total), len(kinds)), kinds, strict=True))
        open_ids = set(random.sample(range(total), int(total * OPEN_SHARE))) - set(due_at_index)
        cases = table("cases", *(column(name) for name in closed_row("", 0)))  # untyped: values go in as given
        for first in range(0, total, 50_000):
            rows = []
            for index in range(first, min(first + 50_000, total)):
                row = closed_row(random.choice(chains), reporter)
                if index in due_at_index:
                    row |= due_state(services, due_at_index[index], row["chain"], people)
                    due_states.append((index + 1, dict(row)))
                elif index in open_ids:  # open, its next check somewhere in the coming three days
                    later = NOW + timedelta(minutes=random.randint(5, 72 * 60))
                    row |= {
                        "status": "accepted",
                        "closed_at": None,
                        "resolved_at": None,
                        "due_at": later + timedelta(hours=1),
                        "next_check_at": later,
                    }
                rows.append(stored(row, memo))
            conn.execute(insert(cases), rows)
    engine.dispose()
    return time.perf_counter() - started, due_states


async def time_sweeps(path: Path, due_states: list[tuple[int, dict[str, Any]]]) -> tuple[list[float], list[float], int]:
    """Sweep REPEATS times, resetting the due cases in between; wall and CPU seconds, and the notices queued."""
    db = Database(f"sqlite+aiosqlite:///{path}")
    services = services_for(db)
    wall, cpu, notices = [], [], 0
    resets = [{"case_id": case_id, **{name: state[name] for name in MARKERS}} for case_id, state in due_states]
    for _ in range(REPEATS):
        started, used = time.perf_counter(), time.process_time()
        result = await sweep(services, now=NOW, worker="bench")
        wall.append(time.perf_counter() - started)
        cpu.append(time.process_time() - used)
        notices = len(result.notices)
        assert result.claimed == len(due_states), (result.claimed, len(due_states))
        async with db.engine.begin() as conn:  # put the due cases back as they were, outside the timing
            await conn.execute(delete(OutboxMessage))
            await conn.execute(update(Case).where(Case.id == bindparam("case_id")), resets)
        async with db.engine.connect() as conn:  # and do not bill the next sweep for the reset's checkpoint
            await conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    await db.dispose()
    return wall, cpu, notices


def claim_plan(path: Path) -> str:
    """How SQLite finds the due cases (it must search the ``next_check_at`` index, never scan the table)."""
    engine = create_engine(f"sqlite:///{path}")
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "EXPLAIN QUERY PLAN SELECT id FROM cases WHERE next_check_at <= :now ORDER BY next_check_at LIMIT 1000"
            ),
            {"now": _stored(NOW)},
        )
        plan = "; ".join(str(row[-1]) for row in rows)
    engine.dispose()
    return plan


def main() -> None:
    """Build both databases, time the sweeps, print the table, the ratios and the absolute time."""
    wall_ms: dict[int, float] = {}
    cpu_ms: dict[int, float] = {}
    print(
        f"{'cases':>10} {'open':>8} {'due':>6} {'notices':>8} {'build s':>8} {'sweep ms':>9} {'min':>6} {'CPU ms':>7}"
    )
    with tempfile.TemporaryDirectory(prefix="citybot-bench-sla-") as folder:
        for total in SIZES:
            path = Path(folder) / f"cases-{total}.db"
            build_seconds, due_states = build(path, total)
            wall, cpu, notices = asyncio.run(time_sweeps(path, due_states))
            wall_ms[total], cpu_ms[total] = statistics.median(wall) * 1000, statistics.median(cpu) * 1000
            print(
                f"{total:>10,} {int(total * OPEN_SHARE):>8,} {len(due_states):>6,} {notices:>8,} "
                f"{build_seconds:>8.1f} {wall_ms[total]:>9.1f} {min(wall) * 1000:>6.1f} {cpu_ms[total]:>7.1f}"
            )
        print(f"claim query plan: {claim_plan(path)}")
    small, large = SIZES[0], SIZES[-1]
    print("(sweep ms: median wall time of the sweeps; CPU ms: median CPU time of the process, DB thread included)")
    print(
        f"time(1M) / time(100k) = {wall_ms[large] / wall_ms[small]:.2f} wall, "
        f"{cpu_ms[large] / cpu_ms[small]:.2f} CPU   (goal <= 1.5; baseline: the 100k sweep in this run)"
    )
    print(f"1,000-due sweep on 1M cases: {wall_ms[large]:.1f} ms wall, {cpu_ms[large]:.1f} ms CPU   (goal <= 100 ms)")


if __name__ == "__main__":
    main()
