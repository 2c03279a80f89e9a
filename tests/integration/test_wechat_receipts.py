"""Inbound receipts on SQLite and PostgreSQL: a key is taken in once, by one process, until its receipt expires."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from models.db import Database
from models.receipts import InboundReceipt, ReceiptBook
from models.uow import UnitOfWork

NOW = datetime(2026, 11, 16, 2, 0, tzinfo=UTC)


async def count_receipts(db: Database) -> int:
    async with UnitOfWork(db) as uow:
        return int(await uow.session.scalar(select(func.count()).select_from(InboundReceipt)) or 0)


async def test_a_key_is_claimed_once_and_per_channel(database: Database) -> None:
    book = ReceiptBook(database, "wechat")
    assert await book.claim("msg:1", NOW)
    assert not await book.claim("msg:1", NOW + timedelta(seconds=5))
    assert not await book.claim("msg:1", NOW + timedelta(seconds=10))
    assert await book.claim("msg:2", NOW)
    assert await ReceiptBook(database, "other").claim("msg:1", NOW)


async def test_an_expired_receipt_lets_the_key_in_again(database: Database) -> None:
    book = ReceiptBook(database, "wechat", ttl=timedelta(minutes=10))
    assert await book.claim("msg:1", NOW)
    assert not await book.claim("msg:1", NOW + timedelta(minutes=9))
    assert await book.claim("msg:1", NOW + timedelta(minutes=10))
    assert not await book.claim("msg:1", NOW + timedelta(minutes=11))


async def test_a_released_key_is_taken_in_again(database: Database) -> None:
    book = ReceiptBook(database, "wechat")
    assert await book.claim("msg:1", NOW)
    await book.release("msg:1")
    assert await book.claim("msg:1", NOW)


async def test_expired_receipts_are_purged_as_claims_go_by(database: Database) -> None:
    book = ReceiptBook(database, "wechat", ttl=timedelta(minutes=10), purge_every=timedelta(minutes=5))
    for n in range(5):
        await book.claim(f"msg:{n}", NOW)
    assert await count_receipts(database) == 5
    await book.claim("msg:late", NOW + timedelta(minutes=20))  # the first claim after the purge interval purges
    assert await count_receipts(database) == 1


async def test_two_processes_racing_for_one_key_take_it_in_once(database: Database) -> None:
    # Each "process" has its own engine and connection pool on the same database.
    other = Database(str(database.url.render_as_string(hide_password=False)), connect_args=database._connect_args)
    try:
        books = [ReceiptBook(database, "wechat"), ReceiptBook(other, "wechat")] * 4
        first = await asyncio.gather(*(book.claim("msg:fresh", NOW) for book in books))
        again = await asyncio.gather(*(book.claim("msg:fresh", NOW) for book in books))
        assert (sum(first), sum(again)) == (1, 0)
        assert await count_receipts(database) == 1
        # And racing for an expired receipt: one of them takes it over.
        later = NOW + timedelta(hours=2)
        wins = await asyncio.gather(*(book.claim("msg:fresh", later) for book in books))
        assert sum(wins) == 1
    finally:
        await other.dispose()
