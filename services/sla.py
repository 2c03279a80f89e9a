"""The SLA sweep: reminders, overdue notices, chases, escalation (督办) and closing unconfirmed cases.

One sweep at ``now``:
1. claims due cases through the ``next_check_at`` index (``claimed_by`` / ``claimed_until``; ``FOR UPDATE
   SKIP LOCKED`` on PostgreSQL), so overlapping sweeps and several processes share the work, never repeat it;
2. for each claimed case decides what is due (``deadlines.due_actions``: each notice once, only the highest
   escalation level after downtime), queues the notices in each recipient's language, records the markers,
   plans the next check and releases the claim, all in one transaction;
3. repeats while full batches keep coming.
Each notice also carries an outbox ``dedupe_key`` (``sla:<case>:<deadline>:<notice>:<user>``), so even a
sweep that lost its claim to a second one cannot queue a notice twice.
"""

from __future__ import annotations

import json
import logging
import os
import socket
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import lazyload

from models.cases import Case
from models.outbox import DeliveryStatus, OutboxMessage
from models.uow import UnitOfWork
from services import deadlines
from services.context import Services
from services.deadlines import SlaAction
from services.sla_notices import Directory, reachable, render

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class QueuedNotice:
    """One notice a sweep put in the outbox."""

    case_id: int
    kind: str
    number: int
    user_id: int
    chat_id: int


@dataclass
class SweepResult:
    """What one sweep did."""

    now: datetime
    claimed: int = 0
    notices: list[QueuedNotice] = field(default_factory=list)
    closed: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)


def default_worker() -> str:
    """This process's name in claim columns."""
    return f"sla:{socket.gethostname()}:{os.getpid()}"[:64]


async def sweep(services: Services, *, now: datetime | None = None, worker: str | None = None) -> SweepResult:
    """Run one sweep at ``now`` (the injected clock's time by default)."""
    now = now or services.clock.now()
    worker = worker or default_worker()
    result = SweepResult(now)
    seen: set[int] = set()
    batch = services.config.sla.batch_size
    while True:
        ids = await claim(services, now, worker, batch)
        fresh = [case_id for case_id in ids if case_id not in seen]
        seen.update(ids)
        result.claimed += len(fresh)
        if ids:
            await _handle_claimed(services, ids, now, worker, result)
        # A short batch means nothing more is due; a batch of repeats means a case keeps itself due: stop.
        if len(ids) < batch or not fresh:
            return result


async def claim(services: Services, now: datetime, worker: str, limit: int) -> list[int]:
    """Claim up to ``limit`` due cases for ``worker`` (committed at once) and return their ids."""
    due = (
        select(Case.id)
        .where(Case.next_check_at <= now, or_(Case.claimed_until.is_(None), Case.claimed_until < now))
        .order_by(Case.next_check_at)
        .limit(limit)
    )
    if not services.db.is_sqlite:
        due = due.with_for_update(skip_locked=True)  # SQLite serialises writers; PostgreSQL skips rows in use
    lease = now + timedelta(seconds=services.config.sla.claim_seconds)
    statement = (
        update(Case)
        .where(Case.id.in_(due.scalar_subquery()))
        .values(claimed_by=worker, claimed_until=lease)
        .returning(Case.id)
    )
    async with services.db.engine.begin() as connection:
        return list((await connection.execute(statement)).scalars())


async def _handle_claimed(
    services: Services, ids: Sequence[int], now: datetime, worker: str, result: SweepResult
) -> None:
    """Handle a claimed batch in one transaction; if it fails, case by case so one bad case blocks nobody."""
    try:
        await _handle_batch(services, ids, now, worker, result)
        return
    except Exception:
        log.exception("SLA sweep batch of %d cases failed; retrying them one by one", len(ids))
    for case_id in ids:
        try:
            await _handle_batch(services, [case_id], now, worker, result)
        except Exception:
            # The claim stays until it expires, so the case is retried later rather than in a tight loop.
            log.exception("SLA sweep failed on case %s", case_id)
            result.failed.append(case_id)


async def _handle_batch(
    services: Services, ids: Sequence[int], now: datetime, worker: str, result: SweepResult
) -> None:
    done = SweepResult(now)
    async with UnitOfWork(services.db) as uow:
        session = uow.session
        mine = (Case.id.in_(ids), Case.claimed_by == worker)
        query = select(Case).where(*mine).options(lazyload(Case.events), lazyload(Case.photos))
        # Hold the rows until commit, so an officer's action on a case waits instead of racing the notices.
        if services.db.is_sqlite:
            await session.execute(
                update(Case).where(*mine).values(claimed_by=Case.claimed_by),
                execution_options={"synchronize_session": False},
            )
        else:
            query = query.with_for_update()
        cases = list((await session.scalars(query)).all())
        plans = {case.id: deadlines.due_actions(services, case, now) for case in cases}
        noticed = [case for case in cases if any(a.kind != "close" for a in plans[case.id])]
        directory = await Directory.load(session, noticed)
        rows: list[dict[str, Any]] = []
        for case in cases:
            for action in plans[case.id]:
                if action.kind == "close":
                    await _close_unconfirmed(services, session, case)
                    done.closed.append(case.id)
                else:
                    rows.extend(_notice_rows(services, case, action, directory, now, done))
            deadlines.mark_done(case, plans[case.id], now)
            deadlines.plan_next_check(services, case, now)
            case.claimed_by = None
            case.claimed_until = None
        await _queue(services, session, rows, done)
        await uow.commit()
    result.notices.extend(done.notices)
    result.closed.extend(done.closed)


def _notice_rows(
    services: Services, case: Case, action: SlaAction, directory: Directory, now: datetime, done: SweepResult
) -> list[dict[str, Any]]:
    """Outbox rows for one notice, one per reachable recipient."""
    if action.kind == "escalation":
        recipients = directory.escalation_targets(case, action.number)
    else:
        recipients = directory.handlers_of(case)
    assert case.due_at is not None
    # The deadline is part of the key: after an extension or a rework the same notice is a new one.
    stem = f"sla:{case.id}:{int(case.due_at.timestamp())}:{action.kind}"
    if action.kind in ("escalation", "chase"):
        stem += f":{action.number}"
    rows = []
    for user in recipients:
        if not reachable(user):
            continue
        rows.append(
            {
                "chat_id": user.telegram_id,
                "user_id": user.id,
                "kind": f"sla_{action.kind}",
                "method": "sendMessage",
                "params": json.dumps(
                    {"text": render(services, case, action, user, directory, now)}, ensure_ascii=False
                ),
                "case_id": case.id,
                "dedupe_key": f"{stem}:{user.id}",
                "status": DeliveryStatus.PENDING,
                "attempts": 0,
                "next_attempt_at": now,
                "created_at": now,
            }
        )
        done.notices.append(QueuedNotice(case.id, action.kind, action.number, user.id, user.telegram_id))
    return rows


async def _queue(
    services: Services, session: AsyncSession, rows: list[dict[str, Any]], done: SweepResult
) -> None:
    """Insert the batch's outbox rows in one statement, skipping keys already queued."""
    if not rows:
        return
    keys = [row["dedupe_key"] for row in rows]
    taken = set(
        await session.scalars(select(OutboxMessage.dedupe_key).where(OutboxMessage.dedupe_key.in_(keys)))
    )
    if taken:
        rows = [row for row in rows if row["dedupe_key"] not in taken]
        done.notices = [n for n, key in zip(done.notices, keys, strict=True) if key not in taken]
    if not rows:
        return
    dialect = sqlite if services.db.is_sqlite else postgresql
    statement = dialect.insert(OutboxMessage).on_conflict_do_nothing(index_elements=["dedupe_key"])
    await session.execute(statement, rows)


async def _close_unconfirmed(services: Services, session: AsyncSession, case: Case) -> None:
    """Close a resolved case whose reporter never answered (the case service owns how)."""
    from services import cases  # imported here: the case service imports this package's deadlines

    # The batch loaded cases without their history and photos; the close records an event and may show photos.
    await session.refresh(case, attribute_names=["events", "photos"])
    await cases.close_unconfirmed(services, session, case)
