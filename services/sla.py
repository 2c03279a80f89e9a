"""The SLA sweep: reminders, overdue notices, chases, escalation (督办) and closing unconfirmed cases.

One sweep at ``now`` repeats, while full batches keep coming, one transaction that:
1. claims due cases through the ``next_check_at`` index (``UPDATE ... SET claimed_by, claimed_until WHERE id IN
   (SELECT ... LIMIT n)``, with ``FOR UPDATE SKIP LOCKED`` on PostgreSQL), so overlapping sweeps and several
   processes share the work and never repeat it;
2. decides what is due for each case (``deadlines.due_actions``: each notice once, only the highest escalation
   level after downtime) and queues the notices in each recipient's language;
3. records the markers, plans the next check and releases the claim.
If a batch fails, its cases are claimed (committed, for ``sla.claim_seconds``) and handled one per transaction,
so one bad case delays only itself. Every notice also carries an outbox ``dedupe_key``, so even a sweep that
lost its claim cannot queue a notice twice.
A batch's thousands of outbox rows and case markers go to the database driver's own ``executemany``: through
SQLAlchemy's per-row parameter handling they cost more than the database's work on them.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from operator import itemgetter
from typing import Any, cast

from sqlalchemy import Table, bindparam, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from models.cases import Case
from models.outbox import OutboxMessage
from models.uow import UnitOfWork
from services import deadlines
from services.context import Services
from services.sla_notices import SWEPT_COLUMNS, SweptCase, notice_rows
from services.sla_recipients import Directory

log = logging.getLogger(__name__)
_MISSING = object()


@dataclass(frozen=True)
class QueuedNotice:
    """One notice a sweep put in the outbox."""

    case_id: int
    kind: str
    number: int
    user_id: int
    channel: str
    address: str


@dataclass
class SweepResult:
    """What one sweep did."""

    now: datetime
    claimed: int = 0
    notices: list[QueuedNotice] = field(default_factory=list)
    closed: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)


def default_worker() -> str:
    """This process's name in claim columns (the host name cut so the process id always fits)."""
    return f"sla:{socket.gethostname()[:40]}:{os.getpid()}"


def _claim_token(worker: str) -> str:
    """``worker`` plus a mark of this one sweep, at most 64 characters.

    Sweeps of one process overlap (the scheduler's, the demo's clock control, a catch-up): each must recognise
    only its own claims, so a case whose claim another sweep took over is left to that sweep.
    """
    return f"{worker[:55]}:{uuid.uuid4().hex[:8]}"


async def sweep(services: Services, *, now: datetime | None = None, worker: str | None = None) -> SweepResult:
    """Run one sweep at ``now`` (the injected clock's time by default) and say what it queued.

    Closing an unconfirmed case stamps ``services.clock``'s time, so pass a ``now`` other than the clock's only
    with a clock set to it (as ``citybot jobs run sla --now`` does). ``worker`` names this process in claims.
    """
    now = now or services.clock.now()
    worker = _claim_token(worker or default_worker())
    result = SweepResult(now)
    seen: set[int] = set()
    batch = services.config.sla.batch_size
    while True:
        try:
            ids = await _claim_and_handle(services, now, worker, batch, result)
        except Exception:
            log.exception("SLA sweep batch failed; handling its cases one by one")
            ids = await claim(services, now, worker, batch)
            await _one_by_one(services, ids, now, worker, result)
        fresh = [case_id for case_id in ids if case_id not in seen]
        seen.update(ids)
        result.claimed += len(fresh)
        # A short batch means nothing more is due; a batch of repeats means a case keeps itself due: stop.
        if len(ids) < batch or not fresh:
            return result


def _claim_statement(services: Services, now: datetime, worker: str, limit: int) -> Any:
    # On the Core table, not the mapped class: the ORM's bulk-update bookkeeping costs more than the claim's rows.
    cases = cast(Table, Case.__table__)
    due = (
        select(cases.c.id)
        .where(cases.c.next_check_at <= now, or_(cases.c.claimed_until.is_(None), cases.c.claimed_until < now))
        .order_by(cases.c.next_check_at)
        .limit(limit)
    )
    if not services.db.is_sqlite:
        due = due.with_for_update(skip_locked=True)  # SQLite serialises writers; PostgreSQL skips rows in use
    lease = now + timedelta(seconds=services.config.sla.claim_seconds)
    return (
        update(cases)
        .where(cases.c.id.in_(due.scalar_subquery()))
        .values(claimed_by=worker, claimed_until=lease)
        .returning(*(cases.c[column.key] for column in SWEPT_COLUMNS))  # what the sweep reads: no second query
    )


async def claim(services: Services, now: datetime, worker: str, limit: int) -> list[int]:
    """Claim up to ``limit`` due cases for ``worker`` until ``now`` + ``sla.claim_seconds``, committed at once."""
    async with services.db.engine.begin() as connection:
        return [row[0] for row in await connection.execute(_claim_statement(services, now, worker, limit))]


async def _claim_and_handle(
    services: Services, now: datetime, worker: str, limit: int, result: SweepResult
) -> list[int]:
    """Claim a batch and handle it in the same transaction (the usual path); return the claimed ids.

    The claim holds the rows until commit (SQLite's write lock, PostgreSQL's row locks), so a concurrent sweep
    waits for or skips them; a crash rolls everything back and leaves no stale claim behind. Each row is
    written once per sweep, which matters when a thousand due cases sit on a thousand different pages.
    """
    async with UnitOfWork(services.db) as uow:
        claimed = await uow.session.execute(_claim_statement(services, now, worker, limit))
        cases = [SweptCase.from_row(row) for row in claimed]
        done = await _handle(services, uow.session, cases, now)
        await uow.commit()
    _merge(result, done)
    return [case.id for case in cases]


async def _one_by_one(services: Services, ids: Sequence[int], now: datetime, worker: str, result: SweepResult) -> None:
    """Handle claimed cases one transaction each, so one bad case holds back nobody else."""
    for case_id in ids:
        try:
            async with UnitOfWork(services.db) as uow:
                cases = await _lock_claimed(services, uow.session, case_id, worker)
                done = await _handle(services, uow.session, cases, now)
                await uow.commit()
            _merge(result, done)
        except Exception:
            # Its claim stays until it expires: the case is retried then, not in a tight loop.
            log.exception("SLA sweep failed on case %s", case_id)
            result.failed.append(case_id)


def _merge(result: SweepResult, done: SweepResult) -> None:
    result.notices.extend(done.notices)
    result.closed.extend(done.closed)


async def _lock_claimed(services: Services, session: AsyncSession, case_id: int, worker: str) -> list[SweptCase]:
    """The case if ``worker`` still holds its claim, its row held until commit so an officer's action waits."""
    query = select(*SWEPT_COLUMNS).where(Case.id == case_id, Case.claimed_by == worker)
    if services.db.is_sqlite:
        # Any write takes SQLite's one write lock; touching the row is enough to hold it.
        await session.execute(update(Case).where(Case.id == case_id).values(claimed_by=Case.claimed_by))
    else:
        query = query.with_for_update()
    return [SweptCase.from_row(row) for row in await session.execute(query)]


async def _handle(services: Services, session: AsyncSession, cases: list[SweptCase], now: datetime) -> SweepResult:
    """Queue the due notices of claimed ``cases``, record their markers, plan their next check, release them."""
    done = SweepResult(now)
    if not cases:
        return done
    plans = {case.id: deadlines.due_actions(services, case, now) for case in cases}
    closing = {case.id for case in cases if any(action.kind == "close" for action in plans[case.id])}
    followed = {case.id for case in cases if any(action.kind == "escalated" for action in plans[case.id])}
    directory = await Directory.load(session, [case for case in cases if case.id not in closing], followed=followed)
    rows: list[dict[str, Any]] = []
    markers: list[dict[str, Any]] = []
    for case in cases:
        if case.id in closing:
            continue
        for action in plans[case.id]:
            for person, row in notice_rows(services, case, action, directory, now):
                rows.append(row)
                done.notices.append(
                    QueuedNotice(
                        case.id, action.kind, action.number, person.id, str(person.channel), str(person.address)
                    )
                )
        deadlines.mark_done(case, plans[case.id], now)
        deadlines.plan_next_check(services, case, now)
        markers.append(
            {
                "case_id": case.id,
                "reminder_sent_at": case.reminder_sent_at,
                "escalation_level": case.escalation_level,
                "last_chase_at": case.last_chase_at,
                "next_check_at": case.next_check_at,
                "claimed_by": None,  # released
                "claimed_until": None,
            }
        )
    if markers:
        table = cast(Table, Case.__table__)
        await _execute_many(session, update(table).where(table.c.id == bindparam("case_id")), markers)
    for case_id in sorted(closing):
        await _close_unconfirmed(services, session, case_id, now)
        done.closed.append(case_id)
    await _queue(services, session, rows, done)
    return done


async def _queue(services: Services, session: AsyncSession, rows: list[dict[str, Any]], done: SweepResult) -> None:
    """Insert the batch's outbox rows in one statement; a key already queued is skipped and not reported."""
    if not rows:
        return
    table = cast(Table, OutboxMessage.__table__)
    if services.db.is_sqlite:
        queued = await _insert_new(session, table, rows)
    else:
        statement = (
            postgresql.insert(table).on_conflict_do_nothing(index_elements=["dedupe_key"]).returning(table.c.dedupe_key)
        )
        queued = set((await session.execute(statement, rows)).scalars())
    if len(queued) < len(rows):
        done.notices = [n for n, row in zip(done.notices, rows, strict=True) if row["dedupe_key"] in queued]


async def _insert_new(session: AsyncSession, table: Table, rows: list[dict[str, Any]]) -> set[str]:
    """SQLite: leave out the keys already queued, insert the rest in one ``executemany``; return the keys queued.

    Exact without ``RETURNING``: the sweep's transaction wrote the claim first, so it holds SQLite's one write
    lock and nobody can queue a key between the look-up and the insert. ``RETURNING`` would make SQLAlchemy
    build and bind one multi-row statement per batch, which costs several times the insert itself.
    """
    keys = [row["dedupe_key"] for row in rows]
    taken = set((await session.execute(select(table.c.dedupe_key).where(table.c.dedupe_key.in_(keys)))).scalars())
    fresh = [row for row in rows if row["dedupe_key"] not in taken]
    if fresh:
        await _execute_many(session, sqlite.insert(table).on_conflict_do_nothing(index_elements=["dedupe_key"]), fresh)
    return {row["dedupe_key"] for row in fresh}


async def _execute_many(session: AsyncSession, statement: Any, rows: list[dict[str, Any]]) -> None:
    """Run ``statement`` once per row (all rows with the same keys) through the driver's own ``executemany``.

    SQLAlchemy's executemany converts every value of every row through its column type, about 10 µs a row;
    here each column's conversion runs once per distinct value (a batch repeats ``now`` thousands of times).
    """
    connection = await session.connection()
    dialect = connection.dialect
    compiled = statement.compile(dialect=dialect, column_keys=list(rows[0]))
    order = compiled.positiontup
    assert order is not None, "a positional parameter style"
    converters: list[tuple[int, Callable[[Any], Any], dict[Any, Any]]] = [
        (index, process, {})
        for index, name in enumerate(order)
        if (process := compiled.binds[name].type.bind_processor(dialect)) is not None
    ]
    pick = itemgetter(*order) if len(order) > 1 else lambda row: (row[order[0]],)
    params: list[tuple[Any, ...]] = []
    for row in rows:
        values = pick(row)
        if converters:
            values = list(values)
            for index, process, seen in converters:
                value = values[index]
                found = seen.get(value, _MISSING)
                values[index] = seen.setdefault(value, process(value)) if found is _MISSING else found
            values = tuple(values)
        params.append(values)
    await connection.exec_driver_sql(compiled.string, params)


async def _close_unconfirmed(services: Services, session: AsyncSession, case_id: int, now: datetime) -> None:
    """Close a resolved case whose reporter never answered (the case service owns how), then release it."""
    from services import cases  # imported here: the case service imports this package's deadlines

    case = await session.get(Case, case_id)
    assert case is not None
    await cases.close_unconfirmed(services, session, case)
    deadlines.plan_next_check(services, case, now)
    case.claimed_by, case.claimed_until = None, None
