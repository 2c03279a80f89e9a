"""The outbox sender: claims due rows, has each channel's sender deliver them in order per address, records outcomes.

Claims are a short transaction (``FOR UPDATE SKIP LOCKED`` on PostgreSQL; on SQLite one UPDATE, which holds the
write lock) setting ``claimed_by``/``claimed_until``, so several workers never send the same row. A row is sent
only when no earlier row to the same address is still pending. Each outcome is committed right after its call, so
a crash can repeat at most the call in flight (once its claim lapses), never lose a row.

Outcomes: sent (the channel's message ids kept), retry later (flood control: wait, not counted as an attempt),
transient trouble (exponential backoff, failed after ``outbox.max_attempts``), recipient gone (they blocked the bot:
their account is marked and all their pending rows fail), rejected (failed at once). A row with ``ref_id`` replaces
the message delivered for that row (an edit); its sender gets the delivered ids.

Channels are behind ``ChannelSender``; adapters register theirs with the composition root (``Services.channels``).
Each row is rendered by its channel at delivery, in the recipient's language of that moment.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterable
from datetime import timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import aliased

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
from services.config import OutboxConfig
from services.context import Services
from services.i18n import locale_for
from services.messages import from_json
from services.users import mark_unreachable
from services.workers import worker_name

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


# ---------------------------------------------------------------- pacing under the flood limits
class Pacer:
    """Spaces sends: ``global_per_second`` overall, and per address the gap its channel asks for."""

    def __init__(
        self,
        config: OutboxConfig,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._config, self._now, self._sleep = config, monotonic, sleep
        self._next_global = 0.0
        self._next_chat: dict[tuple[str, str], float] = {}

    async def wait(self, key: tuple[str, str], gap: float) -> None:
        """Sleep until ``key`` (channel, address) may be written to again, then take the next free overall slot."""
        now = self._now()
        ready = self._next_chat.get(key, 0.0)
        if ready > now:
            # Wait for this chat first, holding no overall slot meanwhile: other chats keep going.
            await self._sleep(ready - now)
            now = self._now()
        slot = max(now, self._next_global)
        self._next_global = slot + 1 / self._config.global_per_second
        self._next_chat[key] = slot + gap
        if len(self._next_chat) > 10_000:
            self._next_chat = {chat: t for chat, t in self._next_chat.items() if t > now}
        if slot > now:
            await self._sleep(slot - now)


def pacer_for(services: Services) -> Pacer:
    """The process's pacer (shared by every pass, so limits hold across passes)."""
    if services.pacer is None:
        services.pacer = Pacer(services.config.outbox)
    return services.pacer  # type: ignore[no-any-return]


# ---------------------------------------------------------------- claiming
async def claim_due(
    services: Services, limit: int, channels: Iterable[str] | None = None
) -> tuple[str, list[OutboxMessage]]:
    """Claim up to ``limit`` due rows whose address has no earlier row still waiting; returns the claim token too.

    ``channels`` limits the claim to the channels this process can deliver to.
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

    Without ``senders`` the process's registered channels deliver.
    """
    registry = _registry(services, senders)
    if not registry.names:
        return 0
    config = services.config.outbox
    gate = asyncio.Semaphore(config.parallel_chats)
    delivered = 0
    while limit is None or delivered < limit:
        size = config.batch_size if limit is None else min(config.batch_size, limit - delivered)
        _token, rows = await claim_due(services, size, registry.names)
        if not rows:
            break
        locales = await _locales(services, rows)
        queues: dict[tuple[str, str], list[OutboxMessage]] = {}
        for row in rows:
            queues.setdefault((row.channel, row.address), []).append(row)
        results = await asyncio.gather(
            *(_deliver_address(services, registry, gate, queue, locales) for queue in queues.values())
        )
        delivered += sum(sent for sent, _settled in results)
        if not any(settled for _sent, settled in results):
            break  # every claimed row must wait for another row first: a later pass takes them
    return delivered


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
) -> tuple[int, int]:
    """Send one address's rows in order, stopping at the first that has to wait; returns (sent, settled)."""
    sent = settled = 0
    async with gate:
        for index, row in enumerate(rows):
            outcome = await _deliver_one(services, registry, row, locales)
            settled += outcome is not None
            sent += outcome is SENT
            if outcome is BLOCKED:
                break  # every later row of this address was failed with it
            if outcome is None or outcome is PENDING:
                await _release([r.id for r in rows[index + 1 :]], services)
                break
    return sent, settled


async def _deliver_one(
    services: Services, registry: ChannelRegistry, row: OutboxMessage, locales: dict[int, str]
) -> DeliveryStatus | str | None:
    """Have the row's channel deliver it and record what happened; returns the row's new status (None: untouched)."""
    sender = registry.get(row.channel)
    if sender is None:
        await _release([row.id], services)
        return None
    replaces: list[str] | None = None
    if row.ref_id is not None:
        target = await _edit_target(services, row.ref_id)
        if target is None:
            await _finish(services, row, FAILED, error="the message to replace was never delivered")
            return FAILED
        if target == "wait":
            await _release([row.id], services)
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


async def _release(ids: list[int], services: Services) -> None:
    if not ids:
        return
    async with UnitOfWork(services.db) as uow:
        release = update(OutboxMessage).where(OutboxMessage.id.in_(ids), OutboxMessage.status == PENDING)
        await uow.session.execute(release.values(claimed_by=None, claimed_until=None))
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
