"""The outbox sender: claims due rows, has each channel's sender deliver them in order per address, records outcomes.

Rows are claimed (``services.outbox_claims``) so several workers never send the same row, and a row is sent only
when no earlier row to the same address is still pending; within the process, ``Services.in_flight`` keeps passes
off each other's rows and addresses even when the clock jumps past their claims. Each outcome is committed right
after its call, so a crash can repeat at most the call in flight (once its claim lapses), never lose a row.

Outcomes: sent (the channel's message ids kept), retry later (flood control: wait, not counted as an attempt),
transient trouble (exponential backoff, failed after ``outbox.max_attempts``), recipient gone (they blocked the bot:
their account is marked and all their pending rows fail), rejected (failed at once). A row with ``ref_id`` replaces
the message delivered for that row (an edit); its sender gets the delivered ids.

Channels are behind ``ChannelSender``; adapters register theirs with the composition root (``Services.channels``).
Each row is rendered by its channel at delivery, in the recipient's language of that moment.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from datetime import timedelta
from typing import Any

from sqlalchemy import select, update

from models.outbox import DeliveryStatus, OutboxMessage
from models.uow import UnitOfWork
from models.users import User
from services.channels import (
    AwaitingContact,
    ChannelRegistry,
    ChannelSender,
    Outgoing,
    RecipientBlocked,
    Rejected,
    RetryLater,
    TransientError,
)
from services.context import InFlight, Services
from services.i18n import locale_for
from services.messages import from_json
from services.outbox_claims import claim_due, release
from services.pacing import holding, pacer_for
from services.users import mark_unreachable

log = logging.getLogger(__name__)

PENDING, SENT, FAILED = DeliveryStatus.PENDING, DeliveryStatus.SENT, DeliveryStatus.FAILED
#: Outcome of a send to a recipient who blocked the bot (the row and the address's later rows failed).
BLOCKED = "blocked"
#: How long a row waits for its recipient to write again before the sender looks at it once more.
HOLD = timedelta(days=7)
#: ``last_error`` of a held row starts with this.
HELD = "held until the person writes again: "
#: The language of rows addressed to no user (groups and broadcast channels carry final texts).
FALLBACK_LOCALE = "zh_CN"


# ---------------------------------------------------------------- sending
def _registry(services: Services, senders: ChannelSender | ChannelRegistry | None) -> ChannelRegistry:
    if senders is None:
        return services.channels
    if isinstance(senders, ChannelRegistry):
        return senders
    return ChannelRegistry([senders])


async def deliver_due(
    services: Services, senders: ChannelSender | ChannelRegistry | None = None, *, limit: int | None = None
) -> int:
    """Send every due notification of the channels at hand (at most ``limit``); returns how many were delivered.

    Without ``senders`` the process's registered channels deliver. Claims go on while rows are in flight: once half
    of ``outbox.batch_size`` is done, the next rows are claimed, so no chat waits for the slowest of a batch.
    """
    registry = _registry(services, senders)
    if not registry.names:
        return 0
    config, delivered = services.config.outbox, 0
    gate = asyncio.Semaphore(config.parallel_chats)
    untouched: set[int] = set()  # rows released without an outcome: they wait for another row first
    running: dict[asyncio.Task[tuple[int, list[int]]], int] = {}  # an address's delivery -> its claimed rows
    try:
        while True:
            outstanding = sum(running.values())
            room = config.batch_size - outstanding
            if limit is not None:
                room = min(room, limit - delivered - outstanding)
            if room > 0 and 2 * outstanding <= config.batch_size:
                await _claim_more(services, registry, gate, room, untouched, running)
            if not running:
                break  # nothing claimable is left (or every claimed row waits for another): a later pass
            done, _ = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                del running[task]
                sent, released = task.result()
                delivered += sent
                untouched.update(released)
    finally:
        for task in running:
            task.cancel()  # this pass was cancelled or failed: its rows go back when their claims lapse
        await asyncio.gather(*running, return_exceptions=True)
    return delivered


async def _claim_more(
    services: Services,
    registry: ChannelRegistry,
    gate: asyncio.Semaphore,
    size: int,
    untouched: set[int],
    running: dict[asyncio.Task[tuple[int, list[int]]], int],
) -> None:
    """Claim up to ``size`` rows and start delivering them, one task per address.

    Rows another pass of this process is sending, and rows of an address it is sending to, are not taken (a clock
    moved forward lapses claims, not these), so one notice is never sent twice nor out of order.
    """
    flying = services.in_flight
    async with flying.claiming:
        _token, claimed = await claim_due(services, size, registry.names, busy=flying.rows)
        rows = [row for row in claimed if (row.channel, row.address) not in flying.addresses]
        busy = [row.id for row in claimed if row not in rows]
        if all(row.id in untouched for row in rows):
            await release([row.id for row in claimed], services)  # none, or only rows still waiting for others
            return
        queues: dict[tuple[str, str], list[OutboxMessage]] = {}
        for row in rows:
            queues.setdefault((row.channel, row.address), []).append(row)
        flying.rows.update(row.id for row in rows)
        flying.addresses.update(queues)
    await release(busy, services)
    locales = await _locales(services, rows)
    for key, queue in queues.items():
        task = asyncio.create_task(_deliver_address(services, registry, gate, queue, locales))
        task.add_done_callback(functools.partial(_landed, flying, key, queue))
        running[task] = len(queue)


def _landed(flying: InFlight, key: tuple[str, str], rows: list[OutboxMessage], _task: object) -> None:
    """An address's delivery ended (each outcome recorded, or the task cancelled): its rows are free again."""
    flying.addresses.discard(key)
    flying.rows.difference_update(row.id for row in rows)


async def _locales(services: Services, rows: list[OutboxMessage]) -> dict[int, str]:
    """The language each row's user reads now (one query for the batch)."""
    ids = {r.user_id for r in rows if r.user_id is not None}
    if not ids:
        return {}
    async with UnitOfWork(services.db) as uow:
        query = select(User.id, User.language, User.channel_language).where(User.id.in_(ids))
        found = (await uow.session.execute(query)).all()
    return {uid: locale_for(chosen or channel) for uid, chosen, channel in found}


async def _deliver_address(
    services: Services,
    registry: ChannelRegistry,
    gate: asyncio.Semaphore,
    rows: list[OutboxMessage],
    locales: dict[int, str],
) -> tuple[int, list[int]]:
    """Send one address's rows in order, stopping at the first that has to wait; returns (sent, released untouched)."""
    sent = 0
    async with holding(gate):
        for index, row in enumerate(rows):
            outcome = await _deliver_one(services, registry, row, locales)
            sent += outcome is SENT
            if outcome is BLOCKED:
                break  # every later row of this address was failed with it
            if outcome is None or outcome is PENDING:
                later = [r.id for r in rows[index + 1 :]]
                await release(later, services)
                return sent, ([row.id] if outcome is None else []) + later
    return sent, []


async def _deliver_one(
    services: Services, registry: ChannelRegistry, row: OutboxMessage, locales: dict[int, str]
) -> DeliveryStatus | str | None:
    """Have the row's channel deliver it and record what happened; returns the row's new status (None: untouched)."""
    sender = registry.get(row.channel)
    if sender is None:
        await release([row.id], services)
        return None
    replaces: list[str] | None = None
    if row.ref_id is not None:
        target = await _edit_target(services, row.ref_id)
        if target is None:
            await _finish(services, row, FAILED, error="the message to replace was never delivered")
            return FAILED
        if target == "wait":
            await release([row.id], services)
            return None
        replaces = list(target)
    try:
        message = from_json(row.payload)
    except (ValueError, KeyError, TypeError, IndexError) as exc:
        await _finish(services, row, FAILED, error=f"unreadable message: {exc}")
        return FAILED
    locale = locales.get(row.user_id or 0, FALLBACK_LOCALE)
    item = Outgoing(row.id, row.address, message, locale, row.kind, replaces, row.case_id)
    await pacer_for(services).wait((row.channel, row.address), sender.interval(row.address))
    try:
        ids = await sender.deliver(item)
    except RetryLater as exc:
        # The row's next attempt waits; the address's later rows wait behind it (order per address).
        await _retry(services, row, max(exc.seconds, 1.0), str(exc), counts=False)
        return PENDING
    except RecipientBlocked as exc:
        await _blocked(services, row, str(exc))
        return BLOCKED
    except AwaitingContact as exc:
        await _retry(services, row, HOLD.total_seconds(), f"{HELD}{exc}", counts=False)
        return PENDING
    except Rejected as exc:
        await _finish(services, row, FAILED, error=str(exc))
        return FAILED
    except Exception as exc:  # server trouble, network, or an adapter bug: retry with backoff, then give up
        if not isinstance(exc, TransientError):
            log.exception("unexpected error delivering outbox row %s", row.id)
        return await _backoff(services, row, str(exc) or type(exc).__name__)
    await _finish(services, row, SENT, ids=ids)
    return SENT


async def _edit_target(services: Services, ref_id: int) -> list[str] | str | None:
    """The delivered ids of the replaced row; "wait" while it is pending; None if it never arrived."""
    async with UnitOfWork(services.db) as uow:
        ref = await uow.session.get(OutboxMessage, ref_id)
    if ref is None or ref.status == FAILED or (ref.status == SENT and not ref.delivered):
        return None
    if ref.status == PENDING:
        return "wait"
    return ref.delivered


async def _backoff(services: Services, row: OutboxMessage, error: str) -> DeliveryStatus:
    config = services.config.outbox
    attempts = row.attempts + 1
    if attempts >= config.max_attempts:
        await _finish(services, row, FAILED, error=error, attempts=attempts)
        return FAILED
    delay = min(config.backoff_base_seconds * 2 ** (attempts - 1), config.backoff_max_seconds)
    await _retry(services, row, delay, error, counts=True)
    return PENDING


async def _retry(services: Services, row: OutboxMessage, delay: float, error: str, *, counts: bool) -> None:
    values: dict[str, Any] = {
        "next_attempt_at": services.clock.now() + timedelta(seconds=delay),
        "last_error": error[:500],
        "claimed_by": None,
        "claimed_until": None,
    }
    if counts:
        values["attempts"] = row.attempts + 1
    await _record(services, row, values)


async def _finish(
    services: Services,
    row: OutboxMessage,
    status: DeliveryStatus,
    *,
    ids: list[str] | None = None,
    error: str | None = None,
    attempts: int | None = None,
) -> None:
    values: dict[str, Any] = {
        "status": status,
        "claimed_by": None,
        "claimed_until": None,
        "attempts": attempts if attempts is not None else row.attempts + 1,
    }
    if status is SENT:
        values["sent_at"] = services.clock.now()
        values["delivered_ids"] = ",".join(map(str, ids))[:200] if ids else None
    if error is not None:
        values["last_error"] = error[:500]
    await _record(services, row, values)


async def _record(services: Services, row: OutboxMessage, values: dict[str, Any]) -> None:
    """Write an outcome only while this pass still holds the row's claim.

    A pass slower than its claim (or a clock moved past it) may find its row claimed again by another pass; that
    pass records its own outcome, and this one must not overwrite it (a SENT row turned back into PENDING would be
    sent once more).
    """
    async with UnitOfWork(services.db) as uow:
        await uow.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == row.id, OutboxMessage.claimed_by == row.claimed_by)
            .values(**values)
        )
        await uow.commit()


async def _blocked(services: Services, row: OutboxMessage, error: str) -> None:
    """The recipient blocked the bot: remember it and fail everything still waiting for that address."""
    async with UnitOfWork(services.db) as uow:
        s = uow.session
        await mark_unreachable(s, row.channel, row.address)
        failed = {"status": FAILED, "claimed_by": None, "claimed_until": None, "last_error": error[:500] or "blocked"}
        await s.execute(
            update(OutboxMessage)
            .where(OutboxMessage.channel == row.channel, OutboxMessage.address == row.address)
            .where(OutboxMessage.status == PENDING)
            .values(**failed)
        )
        await s.execute(update(OutboxMessage).where(OutboxMessage.id == row.id).values(attempts=row.attempts + 1))
        await uow.commit()


async def resume_held(services: Services, channel: str, address: str) -> int:
    """The person at (channel, address) wrote again: their held rows are due now; returns how many."""
    held = (
        OutboxMessage.channel == channel,
        OutboxMessage.address == address,
        OutboxMessage.status == PENDING,
        OutboxMessage.last_error.like(f"{HELD}%"),
    )
    async with UnitOfWork(services.db) as uow:
        # Called for every message a person sends: a read first, so the usual case takes no write lock.
        if await uow.session.scalar(select(OutboxMessage.id).where(*held).limit(1)) is None:
            return 0
        done = await uow.session.execute(
            update(OutboxMessage).where(*held).values(next_attempt_at=services.clock.now(), last_error=None)
        )
        await uow.commit()
    return int(done.rowcount or 0)  # type: ignore[attr-defined]
