"""Queue a week's summary for every recipient: the configured channels and the subscribers.

One ``WeeklySummary`` row per ISO week freezes the figures, so every recipient and every rerun sees the same
numbers. Each recipient gets one outbox row keyed ``summary:<week>:<channel>:<address>``: the chart (a local PNG)
with the report, which the recipient's channel fits to its limits (the report as the chart's caption, or the chart
captioned with the title followed by the report).

Recipients are queued in batches, each batch in its own transaction: after a crash the next run skips every
recipient already queued and carries on, and once all are queued the row's ``queued_at`` is set and later runs
queue nothing. Delivery itself (retries, the channels' rate limits) is the outbox sender's.

Blocked chats: the sender marks the account blocked (and fails the row) when the channel says the recipient blocked
the bot. Before each run, subscriptions of blocked accounts, and of chats whose earlier summary failed that way,
are ended (``ended_reason = "blocked"``), so nothing more is queued for them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from models.broadcast import Subscription, WeeklySummary
from models.cases import Case
from models.identities import UserIdentity
from models.outbox import DeliveryStatus, OutboxMessage
from models.uow import UnitOfWork
from models.users import User
from services.context import Services
from services.messages import Message
from services.outbox import Contact, enqueue
from services.summary.compute import summary_for
from services.summary.messages import KIND, Charts, Recipient, message_for, text_key
from services.summary.weeks import IsoWeek, cron_trigger, last_fire_time

BATCH = 200


@dataclass
class QueueResult:
    """What one run queued."""

    week: str
    recipients: int = 0
    queued: int = 0  # recipients queued by this run
    already: int = 0  # recipients an earlier run had queued
    ended: int = 0  # subscriptions ended because the chat blocked the bot


async def end_blocked(session: AsyncSession, now: datetime) -> int:
    """End the subscriptions of chats that blocked the bot; return how many.

    A person's account counts as blocked while its identity is marked (writing to the bot again clears it); any
    chat, groups and channels included, once a summary sent after it (re)subscribed failed with a 403.
    """
    forbidden = (
        select(OutboxMessage.id)
        .where(
            OutboxMessage.channel == Subscription.channel,
            OutboxMessage.address == Subscription.address,
            OutboxMessage.kind == KIND,
            OutboxMessage.status == DeliveryStatus.FAILED,
            OutboxMessage.created_at >= Subscription.subscribed_at,
            or_(
                OutboxMessage.last_error.like("%403%"),
                OutboxMessage.last_error.ilike("%forbidden%"),
                OutboxMessage.last_error.ilike("%blocked%"),
            ),
        )
        .exists()
    )
    blocked = (
        select(UserIdentity.id)
        .where(
            UserIdentity.channel == Subscription.channel,
            UserIdentity.external_id == Subscription.address,
            UserIdentity.blocked.is_(True),
        )
        .exists()
    )
    result = await session.execute(
        update(Subscription)
        .where(Subscription.active.is_(True), or_(blocked, forbidden))
        .values(active=False, ended_at=now, ended_reason="blocked")
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def recipients(session: AsyncSession, services: Services) -> list[Recipient]:
    """The channels (city-wide, in the configured language), then every active subscriber, one entry per chat."""
    config = services.config.summary
    found: dict[Contact, Recipient] = {}
    for address in config.channels:
        contact = broadcast_contact(services, address)
        found[contact] = Recipient(contact, config.channel_language, subscriber=False)
    query = (
        select(Subscription, User)
        .outerjoin(User, User.id == Subscription.user_id)
        .where(Subscription.active.is_(True), or_(User.id.is_(None), User.banned.is_(False)))
        .order_by(Subscription.id)
    )
    for sub, user in await session.execute(query):
        locale = user.locale if user is not None else sub.language
        contact = Contact(sub.channel, sub.address)
        found.setdefault(contact, Recipient(contact, locale, sub.unit_id, sub.user_id))
    return list(found.values())


def broadcast_contact(services: Services, entry: int | str) -> Contact:
    """A configured broadcast target: ``"channel:address"``, or a bare address on the default channel."""
    text = str(entry)
    channel, sep, address = text.partition(":")
    if sep and channel and not channel.lstrip("-").isdigit():
        return Contact(channel, address)
    return Contact(services.default_channel, text)


async def _queued_keys(session: AsyncSession, week: str) -> set[str]:
    query = select(OutboxMessage.dedupe_key).where(OutboxMessage.dedupe_key.like(f"{KIND}:{week}:%"))
    return {key for key in await session.scalars(query) if key}


async def _queue_batch(
    session: AsyncSession, services: Services, week: str, plans: list[tuple[Recipient, Message]], keys: set[str]
) -> None:
    """Queue a batch of recipients' summaries (skipping any an earlier run queued)."""
    now = services.clock.now()
    for who, message in plans:
        key = text_key(week, who.contact)
        if key in keys:
            continue
        await enqueue(session, to=who.contact, message=message, kind=KIND, now=now, user_id=who.user_id, dedupe_key=key)


async def queue_week(
    services: Services, week: IsoWeek, *, batch: int = BATCH, progress: Callable[[int], None] | None = None
) -> QueueResult:
    """Queue ``week``'s summary for every recipient not yet queued; safe to rerun at any point."""
    result = QueueResult(str(week))
    async with UnitOfWork(services.db) as uow:
        now = services.clock.now()
        result.ended = await end_blocked(uow.session, now)
        summary = await summary_for(
            uow.session, week, tz=services.tz, now=now, config=services.config.summary, store=True
        )
        row = await uow.session.get(WeeklySummary, str(week))
        assert row is not None
        keys = await _queued_keys(uow.session, str(week))
        done = row.queued_at is not None
        people = [] if done else await recipients(uow.session, services)
        await uow.commit()
    if done:
        result.recipients = result.already = len(keys)
        return result
    charts = Charts(services, summary)
    todo = [who for who in people if text_key(str(week), who.contact) not in keys]
    result.recipients, result.already = len(people), len(people) - len(todo)
    # Draw every chart first: no drawing while a transaction holds the database's write lock.
    paths = {(w.unit_id, w.locale): await charts.get(w.unit_id, w.locale) for w in todo}
    rendered: dict[tuple[str | None, str, bool], Message] = {}
    for start in range(0, len(todo), batch):
        plans = []
        for who in todo[start : start + batch]:
            scope = (who.unit_id, who.locale, who.subscriber)
            if scope not in rendered:
                rendered[scope] = message_for(summary, services.config, who, paths[scope[:2]])
            plans.append((who, rendered[scope]))
        async with UnitOfWork(services.db) as uow:
            await _queue_batch(uow.session, services, str(week), plans, keys)
            await uow.commit()
        result.queued += len(todo[start : start + batch])
        if progress is not None:
            progress(result.queued)
    async with UnitOfWork(services.db) as uow:
        row = await uow.session.get(WeeklySummary, str(week))
        assert row is not None
        row.queued_at = services.clock.now()
        row.chart_path = str(await charts.get(None, services.config.summary.channel_language))
        await uow.commit()
    return result


async def queue_due_week(services: Services) -> QueueResult:
    """The scheduled run: queue the week that ended most recently."""
    return await queue_week(services, IsoWeek.last_completed(services.clock.now(), services.tz))


async def catch_up(services: Services) -> QueueResult | None:
    """On start: if the last scheduled send was missed (the bot was down), queue that week's summary now.

    Nothing is sent for a week whose summary was already queued, nor on a fresh installation without any case
    reported before the week ended.
    """
    now = services.clock.now()
    fired = last_fire_time(cron_trigger(services.config.summary.cron, services.tz), now)
    if fired is None:
        return None
    week = IsoWeek.last_completed(fired, services.tz)
    _start, end = week.bounds(services.tz)
    async with UnitOfWork(services.db) as uow:
        row = await uow.session.get(WeeklySummary, str(week))
        if row is not None and row.queued_at is not None:
            return None
        if await uow.session.scalar(select(Case.id).where(Case.reported_at < end).limit(1)) is None:
            return None
    return await queue_week(services, week)
