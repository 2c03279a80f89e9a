"""Overlapping sweeps at increasing times notify each person once: in one process, in several, on both backends.

What the demo's clock control does (one sweep per click, the clicks 0.4 s apart, each an hour later than the one
before) and what several workers or cron runs of ``citybot jobs run sla --now`` do. Which sweep gets a case
first is up to the database, and a sweep sends what is due at its own time (catch-up), so the exact set of
notices may differ from run to run; what may not differ is that each notice reaches each person once, a chase
never comes sooner than ``sla.chase_interval_hours`` after the notice before it, and nothing due is lost: a case
one sweep skips because another holds it (PostgreSQL's SKIP LOCKED) is left to the next sweep, so the tests end
with one more sweep at the latest time, as the next scheduled one would be.
"""

from __future__ import annotations

import asyncio
import os
import sys
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.engine import make_url

from models.cases import Case
from models.db import Database
from models.outbox import OutboxMessage
from models.uow import UnitOfWork
from services.clock import ManualClock
from services.context import Services
from services.sla import sweep
from tests.integration.sla_world import REPORTER, World, beijing, build_world, change_case, dispatch_case

MONDAY = beijing(2026, 11, 16, 10)
#: Tuesday noon: 24 h after the parking cases' deadline (their third level), the litter cases' catch-up.
TUESDAY_NOON = beijing(2026, 11, 17, 12)
HOUR = timedelta(hours=1)


@dataclass(frozen=True)
class Notice:
    """An SLA row of the outbox, as the dedupe key and the row tell it."""

    case_id: int
    chat_id: int
    kind: str
    level: str  # the escalation level ("" for other notices)
    at: datetime


async def city(services: Services, clock: ManualClock) -> tuple[World, list[int]]:
    """Eight parking cases (four accepted by Anna, 102) and four litter cases, dispatched Monday 10:00."""
    world = await build_world(services)
    ids = [await dispatch_case(services, world, "0505", MONDAY) for _ in range(8)]
    ids += [await dispatch_case(services, world, "0102", MONDAY) for _ in range(4)]
    clock.set(MONDAY + timedelta(minutes=30))
    for case_id in ids[:4]:
        await change_case(services, case_id, "accept", owner_id=world.user_ids[102])
    return world, ids


async def sla_notices(services: Services) -> list[Notice]:
    """Every SLA notice queued, in queue order."""
    async with UnitOfWork(services.db) as uow:
        rows = await uow.session.execute(
            select(OutboxMessage.dedupe_key, OutboxMessage.address, OutboxMessage.created_at)
            .where(OutboxMessage.kind.like("sla_%"))
            .order_by(OutboxMessage.id)
        )
        found = []
        for key, chat_id, created_at in rows.all():
            _sla, case_id, _due, kind, *rest = key.split(":")
            level = rest[0] if kind == "escalation" else ""
            found.append(Notice(int(case_id), int(chat_id), kind, level, created_at))
        return found


def assert_each_notice_once(notices: list[Notice], ids: list[int], chase_every: timedelta) -> None:
    """No notice twice, chases no closer than ``chase_every``, and every case's due notices there."""
    once = Counter((n.case_id, n.chat_id, n.kind, n.level) for n in notices if n.kind != "chase")
    assert [key for key, count in once.items() if count > 1] == []
    last_notice: dict[tuple[int, int], datetime] = {}
    for n in sorted(notices, key=lambda n: n.at):
        if n.kind in ("overdue", "chase"):
            before = last_notice.get((n.case_id, n.chat_id))
            assert (before is None) == (n.kind == "overdue"), n
            assert before is None or n.at - before >= chase_every, (n, before)
            last_notice[(n.case_id, n.chat_id)] = n.at
    for case_id, owner_accepted in zip(ids, [True] * 4 + [False] * 8, strict=True):
        handlers = {102} if owner_accepted else {101, 102}
        got = {(n.chat_id, n.kind) for n in notices if n.case_id == case_id}
        assert {(chat, "overdue") for chat in handlers} <= got, case_id
        assert (401, "escalation") in got, case_id  # the district level is due by Tuesday 16:00 at the latest
        assert [n.chat_id for n in notices if n.case_id == case_id and n.kind == "escalated"] == [REPORTER]


async def test_sweeps_started_together_at_increasing_times_notify_each_person_once(
    services: Services, clock: ManualClock
) -> None:
    _world, ids = await city(services, clock)
    await sweep(services, now=beijing(2026, 11, 16, 12))  # the parking cases' deadline: overdue, level 1
    services.config.sla.batch_size = 3  # several rounds per sweep, interleaved with the others

    async def click(k: int) -> None:
        await asyncio.sleep(0.02 * k)  # started one after another, each an hour later on the clock
        await sweep(services, now=TUESDAY_NOON + k * HOUR)

    await asyncio.gather(*(click(k) for k in range(6)))
    await sweep(services, now=TUESDAY_NOON + 5 * HOUR)
    assert_each_notice_once(await sla_notices(services), ids, timedelta(hours=4))


async def test_a_sweep_later_in_time_with_markers_read_before_a_chase_cannot_chase_again(
    services: Services, clock: ManualClock
) -> None:
    _world, ids = await city(services, clock)
    case_id = ids[0]  # Anna's
    await sweep(services, now=beijing(2026, 11, 16, 12))  # overdue notice at 12:00
    await sweep(services, now=beijing(2026, 11, 16, 16))  # the chase at 16:00
    # A sweep at 17:00 that read the case before the 16:00 chase was recorded (it lost its claim, say): its
    # chase follows the same 12:00 notice, so the outbox already has it, whatever the sweep's own time.
    async with UnitOfWork(services.db) as uow:
        await uow.session.execute(
            update(Case)
            .where(Case.id == case_id)
            .values(last_chase_at=beijing(2026, 11, 16, 12), next_check_at=beijing(2026, 11, 16, 16))
        )
        await uow.commit()
    late = await sweep(services, now=beijing(2026, 11, 16, 17))
    assert [(n.case_id, n.kind) for n in late.notices] == []
    chases = [n for n in await sla_notices(services) if n.case_id == case_id and n.kind == "chase"]
    assert [(n.chat_id, n.at) for n in chases] == [(102, beijing(2026, 11, 16, 16))]


# ---------------------------------------------------------------- several processes: `citybot jobs run sla`
@pytest.fixture
async def cli_url(database: Database, db_url: tuple[str, dict[str, Any]]) -> AsyncIterator[str]:
    """A URL another process can open the test's database with (PostgreSQL: a role whose search path is it)."""
    url, connect_args = db_url
    if database.is_sqlite:
        yield url
        return
    import asyncpg

    schema = connect_args["server_settings"]["search_path"]
    role = f"r_{uuid.uuid4().hex[:12]}"
    admin = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    conn = await asyncpg.connect(admin)
    try:
        await conn.execute(
            f'CREATE ROLE "{role}" LOGIN; GRANT USAGE ON SCHEMA "{schema}" TO "{role}";'
            f'GRANT ALL ON ALL TABLES IN SCHEMA "{schema}" TO "{role}";'
            f'GRANT ALL ON ALL SEQUENCES IN SCHEMA "{schema}" TO "{role}";'
            f'ALTER ROLE "{role}" SET search_path = "{schema}"'
        )
        yield make_url(url).set(username=role).render_as_string(hide_password=False)
    finally:
        await conn.execute(f'DROP OWNED BY "{role}"; DROP ROLE "{role}"')
        await conn.close()


async def run_cli_sweep(url: str, at: datetime, folder: Path, delay: float) -> str:
    """``citybot jobs run sla --now <at>`` in a process of its own, started after ``delay``; its output."""
    await asyncio.sleep(delay)
    citybot = Path(sys.executable).with_name("citybot")
    env = {**os.environ, "CITYBOT_DATABASE_URL": url, "CITYBOT_LOG_LEVEL": "WARNING"}
    process = await asyncio.create_subprocess_exec(
        str(citybot), "jobs", "run", "sla", "--now", at.isoformat(),
        cwd=folder, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    output, _ = await asyncio.wait_for(process.communicate(), timeout=120)
    assert process.returncode == 0, output.decode()
    return output.decode()


async def test_sweeps_in_several_processes_at_increasing_times_notify_each_person_once(
    services: Services, clock: ManualClock, cli_url: str, tmp_path: Path
) -> None:
    _world, ids = await city(services, clock)
    await sweep(services, now=beijing(2026, 11, 16, 12))
    outputs = await asyncio.gather(
        *(run_cli_sweep(cli_url, TUESDAY_NOON + (k + 1) * HOUR, tmp_path, 0.05 * k) for k in range(4))
    )
    # Each process printed exactly what it queued, and together that is everything queued after Monday noon.
    printed = Counter(line.strip() for output in outputs for line in output.splitlines() if "->" in line)
    assert sum(printed.values()) == sum(1 for n in await sla_notices(services) if n.at >= TUESDAY_NOON) > 0
    await sweep(services, now=TUESDAY_NOON + 4 * HOUR)
    assert_each_notice_once(await sla_notices(services), ids, timedelta(hours=4))
