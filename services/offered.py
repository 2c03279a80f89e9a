"""The numbered choices a person was shown last, kept so their answer means the same in every process.

A channel without buttons shows choices as numbered lines and remembers them here; when the person answers
("2", or the item's text), the adapter reads them back and hands the picked token to the conversation service,
which re-authorises it like any button press. Only the last list counts: it is the one the person is looking at.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from models.offered import OfferedChoices
from models.uow import UnitOfWork
from services.context import Services


@dataclass(frozen=True)
class OfferedItem:
    """One item as shown: its label, other texts that pick it (the label in the other language), its token."""

    label: str
    action: str
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Offered:
    """The list an account was shown last; ``open`` when a text that picks none of it may mean something else."""

    items: tuple[OfferedItem, ...]
    open: bool = False
    locale: str = "zh_CN"


async def remember(
    services: Services,
    channel: str,
    address: str,
    items: Sequence[OfferedItem],
    *,
    locale: str,
    open: bool = False,
) -> None:
    """Keep ``items`` as what ``address`` was shown last (replacing the list before it)."""
    payload = json.dumps([[i.label, i.action, list(i.aliases)] for i in items], ensure_ascii=False)
    values = {
        "channel": channel,
        "address": address,
        "items": payload,
        "open": open,
        "locale": locale,
        "offered_at": services.clock.now(),
    }
    insert = sqlite_insert if services.db.is_sqlite else postgresql_insert
    statement = insert(OfferedChoices).values(**values)
    statement = statement.on_conflict_do_update(
        index_elements=["channel", "address"],
        set_={"items": payload, "open": open, "locale": locale, "offered_at": values["offered_at"]},
    )
    async with UnitOfWork(services.db) as uow:
        await uow.session.execute(statement)
        await uow.commit()


async def forget(services: Services, channel: str, address: str) -> None:
    """The account's last message offered nothing: no number means anything now."""
    where = (OfferedChoices.channel == channel, OfferedChoices.address == address)
    async with UnitOfWork(services.db) as uow:
        # Most answers follow no list: a read first, so they take no write lock.
        if await uow.session.scalar(select(OfferedChoices.channel).where(*where)) is None:
            return
        await uow.session.execute(delete(OfferedChoices).where(*where))
        await uow.commit()


async def offered(services: Services, channel: str, address: str) -> Offered | None:
    """What ``address`` was shown last, or None when nothing is on offer."""
    async with UnitOfWork(services.db) as uow:
        row = await uow.session.scalar(
            select(OfferedChoices).where(OfferedChoices.channel == channel, OfferedChoices.address == address)
        )
        if row is None:
            return None
        raw, is_open, locale = row.items, bool(row.open), row.locale
    try:
        items = tuple(
            OfferedItem(str(label), str(action), tuple(map(str, aliases))) for label, action, aliases in json.loads(raw)
        )
    except (ValueError, TypeError):
        return None
    return Offered(items, is_open, locale) if items else None
