"""Writing notifications to the outbox, in the same transaction as the change that causes them."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models.outbox import DeliveryStatus, OutboxMessage

Keyboard = list[list[dict[str, str]]]


def inline_keyboard(rows: list[list[tuple[str, str]]]) -> dict[str, Any]:
    """A Bot API ``reply_markup`` for rows of (label, callback_data) buttons."""
    for row in rows:
        for _label, data in row:
            if len(data.encode()) > 64:
                raise ValueError(f"callback data over 64 bytes: {data!r}")
    return {"inline_keyboard": [[{"text": label, "callback_data": data} for label, data in row] for row in rows]}


async def enqueue(
    session: AsyncSession,
    *,
    chat_id: int,
    method: str,
    params: dict[str, Any],
    kind: str,
    now: datetime,
    user_id: int | None = None,
    case_id: int | None = None,
    dedupe_key: str | None = None,
    ref_id: int | None = None,
) -> OutboxMessage | None:
    """Queue one Bot API call; with ``dedupe_key``, a second call with the same key queues nothing (returns None)."""
    if dedupe_key is not None:
        exists = await session.scalar(select(OutboxMessage.id).where(OutboxMessage.dedupe_key == dedupe_key))
        if exists is not None:
            return None
    message = OutboxMessage(
        chat_id=chat_id,
        user_id=user_id,
        kind=kind,
        method=method,
        params=json.dumps(params, ensure_ascii=False),
        case_id=case_id,
        dedupe_key=dedupe_key,
        ref_id=ref_id,
        status=DeliveryStatus.PENDING,
        attempts=0,
        next_attempt_at=now,
        created_at=now,
    )
    session.add(message)
    await session.flush()
    return message


async def enqueue_text(
    session: AsyncSession,
    *,
    chat_id: int,
    text: str,
    kind: str,
    now: datetime,
    reply_markup: dict[str, Any] | None = None,
    **extra: Any,
) -> OutboxMessage | None:
    """Queue a plain ``sendMessage``."""
    params: dict[str, Any] = {"text": text}
    if reply_markup is not None:
        params["reply_markup"] = reply_markup
    return await enqueue(session, chat_id=chat_id, method="sendMessage", params=params, kind=kind, now=now, **extra)
