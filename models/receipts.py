"""Inbound receipts: the keys of messages a channel has already taken in, so a redelivery has no second effect.

WeChat posts a message again when its first post got no answer in time, possibly to another process; the key
(``MsgId``, or sender + time for events) is claimed here, in the database every process shares, in the same
transaction as what the message changed (``claim_in``): a process that dies before committing leaves no receipt,
so the redelivery is taken in, and one still handling it makes the redelivery wait for its outcome. Receipts
expire: redeliveries come within seconds, and the table stays small.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Index, String, delete, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime
from models.db import Database


class InboundReceipt(Base):
    """One message a channel took in, until ``expires_at``."""

    __tablename__ = "inbound_receipts"
    __table_args__ = (Index("ix_inbound_receipts_expires_at", "expires_at"),)

    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    key: Mapped[str] = mapped_column(String(160), primary_key=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


#: How long a receipt is kept (WeChat's redeliveries come within seconds).
RECEIPT_TTL = timedelta(hours=1)


def _claim_statement(is_sqlite: bool, channel: str, key: str, now: datetime, ttl: timedelta) -> Any:
    insert: Any = sqlite_insert if is_sqlite else postgresql_insert
    table = InboundReceipt.__table__
    values = {"channel": channel, "key": key, "received_at": now, "expires_at": now + ttl}
    statement = insert(table).values(**values)
    # One statement, so two processes racing for the same key cannot both win: an expired receipt is taken
    # over, a live one is left alone and the row count says which happened.
    return statement.on_conflict_do_update(
        index_elements=[table.c.channel, table.c.key],
        set_={"received_at": statement.excluded.received_at, "expires_at": statement.excluded.expires_at},
        where=table.c.expires_at <= now,
    )


async def claim_in(session: AsyncSession, channel: str, key: str, now: datetime, ttl: timedelta = RECEIPT_TTL) -> bool:
    """Claim ``key`` in ``session``'s transaction: False when it was taken in already (by a committed transaction;
    one still running makes this wait for it). The claim holds only if the transaction commits."""
    is_sqlite = session.get_bind().dialect.name == "sqlite"
    result = await session.execute(_claim_statement(is_sqlite, channel, key, now, ttl))
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


class ReceiptBook:
    """Claims inbound keys for one channel; a claim holds for ``ttl`` and expired receipts are purged as it goes."""

    def __init__(
        self,
        db: Database,
        channel: str,
        *,
        ttl: timedelta = RECEIPT_TTL,
        purge_every: timedelta = timedelta(minutes=5),
    ) -> None:
        self._db = db
        self._channel = channel
        self._ttl = ttl
        self._purge_every = purge_every
        self._next_purge: datetime | None = None

    async def claim(self, key: str, now: datetime) -> bool:
        """True the first time ``key`` is seen (or once its receipt expired); False for a redelivery."""
        await self._purge_now_and_then(now)
        statement = _claim_statement(self._db.is_sqlite, self._channel, key, now, self._ttl)
        # A bare connection: one statement per message on the callback's clock needs no ORM session.
        async with self._db.engine.begin() as connection:
            result = await connection.execute(statement)
        return bool(result.rowcount == 1)

    async def seen(self, key: str, now: datetime) -> bool:
        """Whether ``key`` was taken in already (a committed, live receipt): a read, claiming nothing."""
        await self._purge_now_and_then(now)
        query = select(InboundReceipt.key).where(
            InboundReceipt.channel == self._channel, InboundReceipt.key == key, InboundReceipt.expires_at > now
        )
        async with self._db.engine.connect() as connection:
            return (await connection.execute(query)).first() is not None

    async def _purge_now_and_then(self, now: datetime) -> None:
        if self._next_purge is None or now >= self._next_purge:
            self._next_purge = now + self._purge_every
            await self.purge(now)

    async def release(self, key: str) -> None:
        """Forget ``key``, so its redelivery is taken in again (its handling failed and changed nothing)."""
        async with self._db.engine.begin() as connection:
            await connection.execute(
                delete(InboundReceipt).where(InboundReceipt.channel == self._channel, InboundReceipt.key == key)
            )

    async def purge(self, now: datetime) -> int:
        """Delete every receipt expired at ``now`` (of any channel); return how many."""
        async with self._db.engine.begin() as connection:
            result = await connection.execute(delete(InboundReceipt).where(InboundReceipt.expires_at <= now))
        return int(result.rowcount)
