"""The outbox sender: claims due rows, sends them in order per chat within the flood limits, records the outcome.

Claims are a short transaction (``FOR UPDATE SKIP LOCKED`` on PostgreSQL; on SQLite one UPDATE, which holds the
write lock) setting ``claimed_by``/``claimed_until``, so several workers never send the same row. A row is sent
only when no earlier row to the same chat is still pending. Each outcome is committed right after its call, so a
crash can repeat at most the call in flight (once its claim lapses), never lose a row.

Outcomes: sent (message ids kept), 429 (wait ``retry_after``, not counted as an attempt), 5xx/network (exponential
backoff, failed after ``outbox.max_attempts``), 403 (the recipient blocked the bot: the user is marked and all their
pending rows fail), 400 (failed at once). Edits name the row they edit in ``ref_id``; its chat and message id are
filled in at send time.

The chat platform is behind ``BotApi``; the Telegram adapter lives in ``scheduler.outbox`` and registers itself, so
this module stays free of the framework. ``deliver_due`` accepts a ``BotApi`` or anything an adapter recognises
(a PTB ``Bot``).
"""

from __future__ import annotations

import asyncio
import importlib
import json
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any, Protocol, runtime_checkable

from sqlalchemy import or_, select, update
from sqlalchemy.orm import aliased

from models.outbox import DeliveryStatus, OutboxMessage
from models.uow import UnitOfWork
from models.users import User
from services.config import OutboxConfig
from services.context import Services
from services.workers import worker_name

log = logging.getLogger(__name__)

PENDING, SENT, FAILED = DeliveryStatus.PENDING, DeliveryStatus.SENT, DeliveryStatus.FAILED
#: Module that provides the Telegram adapter; imported on first use when no adapter is registered yet.
DEFAULT_ADAPTER_MODULE = "scheduler.outbox"
_PACER = "outbox_pacer"
#: Outcome of a send to a recipient who blocked the bot (the row and the chat's later rows failed).
BLOCKED = "blocked"


# ---------------------------------------------------------------- the chat platform port
@runtime_checkable
class BotApi(Protocol):
    """Makes one Bot API call; returns the ids of the messages it produced; raises a ``DeliveryError``."""

    async def call(self, method: str, params: dict[str, Any]) -> list[int]: ...


class DeliveryError(Exception):
    """A call did not deliver."""


class RetryLater(DeliveryError):
    """Flood control (429): try again after ``seconds``."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"flood control: retry after {seconds:g}s")
        self.seconds = seconds


class RecipientBlocked(DeliveryError):
    """403: the user blocked the bot (or the bot left the chat)."""


class Rejected(DeliveryError):
    """400: the request itself is wrong; retrying cannot help."""


class TransientError(DeliveryError):
    """5xx, timeouts, network trouble: worth retrying later."""


_ADAPTERS: list[Callable[[Any], BotApi | None]] = []


def register_adapter(adapter: Callable[[Any], BotApi | None]) -> None:
    """Teach ``deliver_due`` to wrap another kind of bot object (idempotent)."""
    if adapter not in _ADAPTERS:
        _ADAPTERS.append(adapter)


def as_bot_api(bot: Any) -> BotApi:
    """``bot`` itself if it is a ``BotApi``, else the first registered adapter's wrapper around it."""
    if isinstance(bot, BotApi):
        return bot
    if not _ADAPTERS:
        importlib.import_module(DEFAULT_ADAPTER_MODULE)
    for adapter in _ADAPTERS:
        api = adapter(bot)
        if api is not None:
            return api
    raise TypeError(f"no delivery adapter for {type(bot).__name__}")


# ---------------------------------------------------------------- pacing under the flood limits
class Pacer:
    """Spaces sends: ``global_per_second`` overall, one per interval per private chat, group or channel."""

    def __init__(
        self,
        config: OutboxConfig,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._config, self._now, self._sleep = config, monotonic, sleep
        self._next_global = 0.0
        self._next_chat: dict[int, float] = {}

    async def wait(self, chat_id: int) -> None:
        """Sleep until ``chat_id`` may be written to again, then take the next free overall slot."""
        now = self._now()
        ready = self._next_chat.get(chat_id, 0.0)
        if ready > now:
            # Wait for this chat first, holding no overall slot meanwhile: other chats keep going.
            await self._sleep(ready - now)
            now = self._now()
        slot = max(now, self._next_global)
        self._next_global = slot + 1 / self._config.global_per_second
        # Private chats have positive ids; groups and channels negative ones, with a lower limit.
        gap = self._config.per_chat_interval_seconds if chat_id > 0 else self._config.group_interval_seconds
        self._next_chat[chat_id] = slot + gap
        if len(self._next_chat) > 10_000:
            self._next_chat = {chat: t for chat, t in self._next_chat.items() if t > now}
        if slot > now:
            await self._sleep(slot - now)


def pacer_for(services: Services) -> Pacer:
    """The process's pacer (shared by every pass, so limits hold across passes)."""
    pacer = services.extras.get(_PACER)
    if pacer is None:
        pacer = services.extras[_PACER] = Pacer(services.config.outbox)
    return pacer  # type: ignore[no-any-return]


# ---------------------------------------------------------------- claiming
async def claim_due(services: Services, limit: int) -> tuple[str, list[OutboxMessage]]:
    """Claim up to ``limit`` due rows whose chat has no earlier row still waiting; returns the claim token too."""
    now = services.clock.now()
    token = worker_name("outbox")
    row, earlier = aliased(OutboxMessage), aliased(OutboxMessage)
    waiting_before = (
        select(earlier.id)
        .where(
            earlier.chat_id == row.chat_id,
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
    chats = {r.chat_id for r in claimed}
    query = select(OutboxMessage.id, OutboxMessage.chat_id).where(
        OutboxMessage.chat_id.in_(chats), OutboxMessage.status == PENDING, OutboxMessage.id <= max(mine)
    )
    first_foreign: dict[int, int] = {}
    for other_id, chat_id in (await session.execute(query)).all():
        if other_id not in mine:
            first_foreign[chat_id] = min(first_foreign.get(chat_id, other_id), other_id)
    keep = [r for r in claimed if r.id < first_foreign.get(r.chat_id, r.id + 1)]
    dropped = [r.id for r in claimed if r not in keep]
    if dropped:
        release = update(OutboxMessage).where(OutboxMessage.id.in_(dropped))
        await session.execute(release.values(claimed_by=None, claimed_until=None))
    return keep


# ---------------------------------------------------------------- sending
async def deliver_due(services: Services, bot: Any, *, limit: int | None = None) -> int:
    """Send every due notification (at most ``limit``); returns how many were delivered."""
    api = as_bot_api(bot)
    config = services.config.outbox
    gate = asyncio.Semaphore(config.parallel_chats)
    delivered = 0
    while limit is None or delivered < limit:
        size = config.batch_size if limit is None else min(config.batch_size, limit - delivered)
        _token, rows = await claim_due(services, size)
        if not rows:
            break
        chats: dict[int, list[OutboxMessage]] = {}
        for row in rows:
            chats.setdefault(row.chat_id, []).append(row)
        results = await asyncio.gather(*(_deliver_chat(services, api, gate, chat) for chat in chats.values()))
        delivered += sum(sent for sent, _settled in results)
        if not any(settled for _sent, settled in results):
            break  # every claimed row must wait for another row first: a later pass takes them
    return delivered


async def _deliver_chat(
    services: Services, api: BotApi, gate: asyncio.Semaphore, rows: list[OutboxMessage]
) -> tuple[int, int]:
    """Send one chat's rows in order, stopping at the first that has to wait; returns (sent, settled)."""
    sent = settled = 0
    async with gate:
        for index, row in enumerate(rows):
            outcome = await _deliver_one(services, api, row)
            settled += outcome is not None
            sent += outcome is SENT
            if outcome is BLOCKED:
                break  # every later row of this chat was failed with it
            if outcome is None or outcome is PENDING:
                await _release([r.id for r in rows[index + 1 :]], services)
                break
    return sent, settled


async def _deliver_one(services: Services, api: BotApi, row: OutboxMessage) -> DeliveryStatus | str | None:
    """Make one row's call and record what happened; returns the row's new status (None: untouched)."""
    params: dict[str, Any] = json.loads(row.params)
    if row.ref_id is not None:
        target = await _edit_target(services, row.ref_id)
        if target is None:
            await _finish(services, row, FAILED, error="the message to edit was never delivered")
            return FAILED
        if target == "wait":
            await _release([row.id], services)
            return None
        params.setdefault("chat_id", target[0])
        params["message_id"] = target[1]
    params.setdefault("chat_id", row.chat_id)
    pacer = pacer_for(services)
    await pacer.wait(row.chat_id)
    try:
        ids = await api.call(row.method, params)
    except RetryLater as exc:
        # The row's next attempt waits retry_after; the chat's later rows wait behind it (order per chat).
        await _retry(services, row, max(exc.seconds, 1.0), str(exc), counts=False)
        return PENDING
    except RecipientBlocked as exc:
        await _blocked(services, row, str(exc))
        return BLOCKED
    except Rejected as exc:
        await _finish(services, row, FAILED, error=str(exc))
        return FAILED
    except Exception as exc:  # 5xx, network, or an adapter bug: retry with backoff, then give up
        if not isinstance(exc, TransientError):
            log.exception("unexpected error delivering outbox row %s", row.id)
        return await _backoff(services, row, str(exc) or type(exc).__name__)
    await _finish(services, row, SENT, ids=ids)
    return SENT


async def _edit_target(services: Services, ref_id: int) -> tuple[int, int] | str | None:
    """(chat, message id) of the edited row; "wait" while it is pending; None if it never arrived."""
    async with UnitOfWork(services.db) as uow:
        ref = await uow.session.get(OutboxMessage, ref_id)
    if ref is None or ref.status == FAILED or (ref.status == SENT and ref.telegram_message_id is None):
        return None
    if ref.status == PENDING:
        return "wait"
    assert ref.telegram_message_id is not None
    return ref.chat_id, ref.telegram_message_id


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
    async with UnitOfWork(services.db) as uow:
        await uow.session.execute(update(OutboxMessage).where(OutboxMessage.id == row.id).values(**values))
        await uow.commit()


async def _finish(
    services: Services,
    row: OutboxMessage,
    status: DeliveryStatus,
    *,
    ids: list[int] | None = None,
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
        values["telegram_message_id"] = ids[0] if ids else None
        values["telegram_message_ids"] = ",".join(map(str, ids)) if ids and len(ids) > 1 else None
    if error is not None:
        values["last_error"] = error[:500]
    async with UnitOfWork(services.db) as uow:
        await uow.session.execute(update(OutboxMessage).where(OutboxMessage.id == row.id).values(**values))
        await uow.commit()


async def _blocked(services: Services, row: OutboxMessage, error: str) -> None:
    """The recipient blocked the bot: remember it and fail everything still waiting for that chat."""
    async with UnitOfWork(services.db) as uow:
        s = uow.session
        who = User.telegram_id == row.chat_id
        if row.user_id is not None:
            who = who | (User.id == row.user_id)
        await s.execute(update(User).where(who).values(blocked_bot=True))
        failed = {"status": FAILED, "claimed_by": None, "claimed_until": None, "last_error": error[:500] or "blocked"}
        await s.execute(
            update(OutboxMessage)
            .where(OutboxMessage.chat_id == row.chat_id, OutboxMessage.status == PENDING)
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
