"""Writing notifications to the outbox, in the same transaction as the change that causes them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models.db import Database
from models.outbox import DeliveryStatus, OutboxMessage
from models.uow import UnitOfWork
from services.messages import Message, Text, to_json

if TYPE_CHECKING:
    from models.users import User


@dataclass(frozen=True, slots=True)
class Contact:
    """Where a message goes: a channel and an address on it (a person's account, a group, a broadcast channel)."""

    channel: str
    address: str


def contact_of(user: User) -> Contact | None:
    """Where ``user``'s notices go, or None when they cannot be reached (banned, or blocked the bot everywhere)."""
    if user.banned or user.contact_channel is None or user.contact_address is None:
        return None
    return Contact(user.contact_channel, user.contact_address)


async def enqueue(
    session: AsyncSession,
    *,
    to: Contact,
    message: Message,
    kind: str,
    now: datetime,
    user_id: int | None = None,
    case_id: int | None = None,
    dedupe_key: str | None = None,
    ref_id: int | None = None,
) -> OutboxMessage | None:
    """Queue ``message`` for ``to``; with ``dedupe_key``, a second call with the same key queues nothing (None).

    With ``ref_id`` the message replaces the one delivered for that row (an edit, where the channel can edit).
    """
    if dedupe_key is not None:
        exists = await session.scalar(select(OutboxMessage.id).where(OutboxMessage.dedupe_key == dedupe_key))
        if exists is not None:
            return None
    row = OutboxMessage(
        channel=to.channel,
        address=to.address,
        user_id=user_id,
        kind=kind,
        payload=to_json(message),
        case_id=case_id,
        dedupe_key=dedupe_key,
        ref_id=ref_id,
        status=DeliveryStatus.PENDING,
        attempts=0,
        next_attempt_at=now,
        created_at=now,
    )
    session.add(row)
    await session.flush()
    return row


async def enqueue_for(
    session: AsyncSession, user: User, message: Message, *, kind: str, now: datetime, **extra: object
) -> OutboxMessage | None:
    """Queue ``message`` for ``user`` where they can be reached; None (nothing queued) when they cannot."""
    contact = contact_of(user)
    if contact is None:
        return None
    return await enqueue(session, to=contact, message=message, kind=kind, now=now, user_id=user.id, **extra)  # type: ignore[arg-type]


async def queue_final_texts(db: Database, to: Contact, texts: list[str], *, kind: str, now: datetime) -> int:
    """Queue texts already rendered (an answer the channel could not hand over at once); returns how many."""
    async with UnitOfWork(db) as uow:
        for said in texts:
            await enqueue(uow.session, to=to, message=Message((Text.raw(said),)), kind=kind, now=now)
        await uow.commit()
    return len(texts)
