"""Sweeps claim their cases: repeated, overlapping and crashed sweeps never notify anyone twice (both backends)."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, update

from models.cases import Case
from models.db import Database
from models.outbox import OutboxMessage
from models.uow import UnitOfWork
from services import sla, sla_notices
from services.clock import ManualClock
from services.context import Services
from services.sla import claim, sweep
from services.sla_notices import SweptCase
from tests.conftest import make_services
from tests.integration.sla_world import beijing, build_world, dispatch_case

DISPATCHED = beijing(2026, 11, 16, 10)  # parking cases: reminder 11:30, deadline 12:00
REMINDER, DEADLINE = beijing(2026, 11, 16, 11, 30), beijing(2026, 11, 16, 12)


async def many_cases(services: Services, count: int) -> list[int]:
    world = await build_world(services)
    return [await dispatch_case(services, world, "0505", DISPATCHED) for _ in range(count)]


async def outbox_count(services: Services) -> int:
    async with UnitOfWork(services.db) as uow:
        return int(await uow.session.scalar(select(func.count()).select_from(OutboxMessage)) or 0)


async def notices_per_recipient(services: Services) -> Counter[tuple[int, str, int | None]]:
    """How often each (chat, kind, case) notice was queued."""
    async with UnitOfWork(services.db) as uow:
        rows = await uow.session.execute(select(OutboxMessage.address, OutboxMessage.kind, OutboxMessage.case_id))
        return Counter((int(chat), kind, case_id) for chat, kind, case_id in rows.all())


async def test_repeated_sweeps_at_the_same_moment_queue_nothing_new(services: Services, clock: ManualClock) -> None:
    await many_cases(services, 5)
    clock.set(REMINDER)
    first = await sweep(services)
    assert (first.claimed, len(first.notices)) == (5, 10)
    for _ in range(3):
        again = await sweep(services)
        assert (again.claimed, again.notices) == (0, [])
    assert await outbox_count(services) == 10


async def test_two_overlapping_sweeps_share_the_work(services: Services, clock: ManualClock) -> None:
    ids = await many_cases(services, 40)
    services.config.sla.batch_size = 7  # several rounds each, interleaved
    # At the deadline: both officers, the community supervisor and the reporter (told of the escalation).
    for moment, per_case in ((REMINDER, 2), (DEADLINE, 4)):
        clock.set(moment)
        first, second = await asyncio.gather(sweep(services, worker="a"), sweep(services, worker="b"))
        assert first.claimed + second.claimed == len(ids)
        assert len(first.notices) + len(second.notices) == len(ids) * per_case
    queued = await notices_per_recipient(services)
    assert set(queued.values()) == {1}
    assert len(queued) == 40 * 6  # 2 reminders, 2 overdue notices, 1 escalation, the reporter's news per case


async def test_two_processes_on_one_database_never_double_notify(
    services: Services, clock: ManualClock, db_url: tuple[str, dict[str, Any]], tmp_path: Path
) -> None:
    url, connect_args = db_url
    other_db = Database(url, connect_args=connect_args)
    other = make_services(other_db, clock, tmp_path)
    try:
        ids = await many_cases(services, 30)
        for process in (services, other):
            process.config.sla.batch_size = 4
        for moment in (REMINDER, DEADLINE, DEADLINE + timedelta(hours=4), DEADLINE + timedelta(hours=24)):
            clock.set(moment)
            results = await asyncio.gather(
                sweep(services, worker="p1"), sweep(other, worker="p2"), sweep(services, worker="p3")
            )
            assert sum(result.claimed for result in results) == len(ids)
    finally:
        await other_db.dispose()
    queued = await notices_per_recipient(services)
    # Per case and officer: one reminder, one overdue notice, two chases; one escalation per level; the
    # reporter's news of the escalation once.
    assert Counter(queued.values()) == Counter({1: 30 * 8, 2: 30 * 2})
    assert {kind for _chat, kind, _case in queued if queued[(_chat, kind, _case)] == 2} == {"sla_chase"}


async def test_a_crashed_sweeps_claim_expires_and_its_cases_are_handled_once(
    services: Services, clock: ManualClock
) -> None:
    await many_cases(services, 3)
    clock.set(REMINDER)
    assert len(await claim(services, REMINDER, "crashed-worker", 100)) == 3  # then it died
    assert (await sweep(services)).notices == []  # the claim still holds
    clock.set(REMINDER + timedelta(seconds=services.config.sla.claim_seconds + 1))
    late = await sweep(services)
    assert (late.claimed, len(late.notices)) == (3, 6)
    assert await sweep(services) == sla.SweepResult(clock.now())


async def test_one_failing_case_does_not_hold_back_the_others(
    services: Services, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = await many_cases(services, 3)
    broken = ids[1]
    real_lines = sla_notices.notice_lines

    def notice_lines(case: SweptCase, *args: Any) -> Any:
        if case.id == broken:
            raise RuntimeError("template bug")
        return real_lines(case, *args)

    monkeypatch.setattr(sla_notices, "notice_lines", notice_lines)
    clock.set(REMINDER)
    result = await sweep(services)
    assert result.failed == [broken]
    assert sorted({notice.case_id for notice in result.notices}) == [ids[0], ids[2]]
    monkeypatch.setattr(sla_notices, "notice_lines", real_lines)
    assert (await sweep(services)).claimed == 0  # retried once its claim expires, not in a tight loop
    clock.set(REMINDER + timedelta(seconds=services.config.sla.claim_seconds + 1))
    retried = await sweep(services)
    assert {notice.case_id for notice in retried.notices} == {broken}


async def test_a_stale_sweeper_cannot_queue_a_notice_twice(services: Services, clock: ManualClock) -> None:
    (case_id,) = await many_cases(services, 1)
    clock.set(REMINDER)
    await sweep(services)
    # A sweeper that lost its claim and still works from the old markers: the outbox key stops the repeat.
    async with UnitOfWork(services.db) as uow:
        await uow.session.execute(
            update(Case).where(Case.id == case_id).values(reminder_sent_at=None, next_check_at=REMINDER)
        )
        await uow.commit()
    again = await sweep(services)
    assert (again.claimed, again.notices) == (1, [])
    assert await outbox_count(services) == 2
