"""People for tests: a user with a Telegram account, as ``touch_user`` would have created them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from channels.telegram import CHANNEL
from models.identities import UserIdentity
from models.users import User
from services.messages import Message, Text
from services.outbox import Contact, enqueue

EPOCH = datetime(2026, 1, 1, tzinfo=UTC)


def tg_user(
    telegram_id: int,
    *,
    blocked_bot: bool = False,
    telegram_language: str | None = None,
    username: str | None = None,
    **columns: Any,
) -> User:
    """A ``User`` with a Telegram identity; ``blocked_bot`` leaves them without a contact (as a 403 does)."""
    created = columns.setdefault("created_at", EPOCH)
    account = UserIdentity(
        channel=CHANNEL,
        external_id=str(telegram_id),
        display_name=columns.get("first_name", ""),
        username=username,
        language=telegram_language,
        blocked=blocked_bot,
        created_at=created,
    )
    contact = {} if blocked_bot else {"contact_channel": CHANNEL, "contact_address": str(telegram_id)}
    return User(channel_language=telegram_language, identities=[account], **contact, **columns)


async def queue_text(session: AsyncSession, chat: int, text: str, *, kind: str, now: datetime, **extra: Any) -> Any:
    """Queue a plain text for a Telegram chat, as a notice the core wrote would be."""
    message = Message(lines=(Text.raw(text),))
    return await enqueue(session, to=Contact(CHANNEL, str(chat)), message=message, kind=kind, now=now, **extra)
