"""Claiming outbox rows for delivery, so several passes and workers never send the same row, nor out of order.

A claim is a short transaction (``FOR UPDATE SKIP LOCKED`` on PostgreSQL; on SQLite one UPDATE, which holds the
write lock) setting ``claimed_by``/``claimed_until``. A row is claimed only when no earlier row to the same address
is still pending; a claim that lapses (its worker died) frees the row for another.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import aliased

from models.outbox import DeliveryStatus, OutboxMessage
from models.uow import UnitOfWork
from services.context import Services
from services.workers import worker_name

PENDING = DeliveryStatus.PENDING


async def claim_due(
    services: Services, limit: int, channels: Iterable[str] | None = None, *, busy: Iterable[int] = ()
) -> tuple[str, list[OutboxMessage]]:
    """Claim up to ``limit`` due rows whose address has no earlier row still waiting; returns the claim token too.

    ``channels`` limits the claim to the channels this process can deliver to; rows in ``busy`` are not taken.
    """
    now = services.clock.now()
    token = worker_name("outbox")
    row, earlier = aliased(OutboxMessage), aliased(OutboxMessage)
    waiting_before = (
        select(earlier.id)
        .where(
            earlier.address == row.address,
            earlier.channel == row.channel,
            earlier.status == PENDING,
            earlier.id < row.id,
            or_(earlier.next_attempt_at > now, earlier.claimed_until >= now),
        )
        .exists()
    )
    due = (
        select(row.id)
        .where(
            row.status == PENDING,
            row.next_attempt_at <= now,
            or_(row.claimed_until.is_(None), row.claimed_until < now),
            ~waiting_before,
        )
        .order_by(row.id)
        .limit(limit)
    )
    if channels is not None:
        due = due.where(row.channel.in_(list(channels)))
    busy = list(busy)
    if busy:
        due = due.where(row.id.not_in(busy))
    async with UnitOfWork(services.db) as uow:
        if not services.db.is_sqlite:
            due = due.with_for_update(of=row, skip_locked=True)
        until = now + timedelta(seconds=services.config.outbox.claim_seconds)
        claim = update(OutboxMessage).where(OutboxMessage.id.in_(due)).values(claimed_by=token, claimed_until=until)
        await uow.session.execute(claim.execution_options(synchronize_session=False))
        query = select(OutboxMessage).where(OutboxMessage.claimed_by == token).order_by(OutboxMessage.id)
        claimed = list(await uow.session.scalars(query))
        claimed = await _keep_chat_order(uow.session, claimed)
        await uow.commit()
    return token, claimed


async def _keep_chat_order(session: Any, claimed: list[OutboxMessage]) -> list[OutboxMessage]:
    """Drop (and release) claimed rows that have an earlier pending row of their chat claimed by nobody here.

    Only concurrent claims on PostgreSQL can produce such a gap: a row locked by another worker is skipped,
    while its successor, not yet visible as claimed, is not.
    """
    if not claimed:
        return claimed
    mine = {r.id for r in claimed}
    addresses = {r.address for r in claimed}
    query = select(OutboxMessage.id, OutboxMessage.channel, OutboxMessage.address).where(
        OutboxMessage.address.in_(addresses), OutboxMessage.status == PENDING, OutboxMessage.id <= max(mine)
    )
    first_foreign: dict[tuple[str, str], int] = {}
    for other_id, channel, address in (await session.execute(query)).all():
        if other_id not in mine:
            key = (channel, address)
            first_foreign[key] = min(first_foreign.get(key, other_id), other_id)
    keep = [r for r in claimed if r.id < first_foreign.get((r.channel, r.address), r.id + 1)]
    dropped = [r.id for r in claimed if r not in keep]
    if dropped:
        release = update(OutboxMessage).where(OutboxMessage.id.in_(dropped))
        await session.execute(release.values(claimed_by=None, claimed_until=None))
    return keep


async def release(ids: list[int], services: Services) -> None:
    """Give rows back unsent (they wait for another row, or their channel is not here)."""
    if not ids:
        return
    async with UnitOfWork(services.db) as uow:
        release = update(OutboxMessage).where(OutboxMessage.id.in_(ids), OutboxMessage.status == PENDING)
        await uow.session.execute(release.values(claimed_by=None, claimed_until=None))
        await uow.commit()
