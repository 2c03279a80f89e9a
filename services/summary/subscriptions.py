"""Who receives the weekly summary: chats subscribed to the whole city or to one street or community."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models.broadcast import Subscription
from models.grid import GridUnit, UnitLevel
from services.outbox import Contact

#: Areas a subscriber may pick besides the whole city.
SCOPE_LEVELS = (UnitLevel.STREET, UnitLevel.COMMUNITY)


class UnknownArea(LookupError):
    """The chosen area is not an active street or community."""


async def subscription_of(session: AsyncSession, contact: Contact) -> Subscription | None:
    """The chat's subscription row, active or not."""
    query = select(Subscription).where(Subscription.channel == contact.channel, Subscription.address == contact.address)
    return await session.scalar(query)


async def area(session: AsyncSession, unit_id: str) -> GridUnit:
    """The street or community ``unit_id``; raise UnknownArea for anything else."""
    unit = await session.get(GridUnit, unit_id)
    if unit is None or not unit.active or unit.level not in SCOPE_LEVELS:
        raise UnknownArea(unit_id)
    return unit


async def subscribe(
    session: AsyncSession,
    *,
    contact: Contact,
    unit_id: str | None,
    language: str,
    now: datetime,
    user_id: int | None = None,
) -> Subscription:
    """Subscribe the chat at ``contact`` to the city (``unit_id`` None) or a street/community (one per chat).

    ``user_id`` links a private chat to its user, so the report follows their language and stops if they block
    the bot; group chats and channels keep ``language``.
    """
    if unit_id is not None:
        await area(session, unit_id)
    row = await subscription_of(session, contact)
    if row is None:
        row = Subscription(channel=contact.channel, address=contact.address, created_at=now)
        session.add(row)
    row.user_id = user_id
    row.language = language
    row.unit_id = unit_id
    row.active = True
    row.subscribed_at = now
    row.ended_at = None
    row.ended_reason = None
    await session.flush()
    return row


async def unsubscribe(session: AsyncSession, contact: Contact, now: datetime, reason: str = "unsubscribed") -> bool:
    """End the chat's subscription; False if it had none."""
    row = await subscription_of(session, contact)
    if row is None or not row.active:
        return False
    row.active = False
    row.ended_at = now
    row.ended_reason = reason
    return True


async def areas(session: AsyncSession, parent_id: str | None = None) -> list[GridUnit]:
    """Areas to pick from: the streets (or, without streets, the communities), or the communities of a street."""
    query = select(GridUnit).where(GridUnit.active.is_(True)).order_by(GridUnit.name, GridUnit.id)
    if parent_id is not None:
        return list(
            await session.scalars(query.where(GridUnit.parent_id == parent_id, GridUnit.level == UnitLevel.COMMUNITY))
        )
    for level in SCOPE_LEVELS:
        found = list(await session.scalars(query.where(GridUnit.level == level)))
        if found:
            return found
    return []


async def find_area(session: AsyncSession, text: str) -> GridUnit | None:
    """The street or community whose id or exact name is ``text``."""
    query = select(GridUnit).where(
        GridUnit.active.is_(True),
        GridUnit.level.in_(SCOPE_LEVELS),
        (GridUnit.id == text) | (GridUnit.name == text),
    )
    return (await session.scalars(query.order_by(GridUnit.level.desc(), GridUnit.id))).first()
