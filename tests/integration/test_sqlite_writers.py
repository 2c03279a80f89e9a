"""SQLite writers in one process queue on the write gate (models/db.py): none is lost, none is left waiting."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select

from models.db import Database, OneTripConnection
from models.identities import UserIdentity
from models.uow import UnitOfWork
from tests.world import tg_user

NOW = datetime(2026, 11, 16, 2, 0, tzinfo=UTC)


async def add_user(db: Database, telegram_id: int) -> None:
    async with UnitOfWork(db) as uow:
        uow.session.add(tg_user(telegram_id, first_name=f"u{telegram_id}", created_at=NOW))
        await uow.session.flush()
        await asyncio.sleep(0)  # let the other writers reach the gate while this one holds it
        await uow.commit()


async def telegram_ids(db: Database) -> list[int]:
    async with UnitOfWork(db) as uow:
        accounts = await uow.session.scalars(select(UserIdentity.external_id).where(UserIdentity.channel == "telegram"))
        return sorted(int(external_id) for external_id in accounts)


async def test_many_concurrent_writers_all_commit(sqlite_database: Database) -> None:
    await asyncio.gather(*(add_user(sqlite_database, n) for n in range(1, 41)))
    assert await telegram_ids(sqlite_database) == list(range(1, 41))


async def test_a_writer_cancelled_mid_transaction_lets_the_next_one_in(sqlite_database: Database) -> None:
    holding = asyncio.Event()

    async def stuck_writer() -> None:
        async with UnitOfWork(sqlite_database) as uow:
            uow.session.add(tg_user(1, created_at=NOW))
            await uow.session.flush()  # the transaction now holds the write gate and SQLite's lock
            holding.set()
            await asyncio.Event().wait()

    task = asyncio.create_task(stuck_writer())
    await holding.wait()
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    # A liveness bound, not a speed check: without the release the next writer would wait out the 30 s gate.
    await asyncio.wait_for(add_user(sqlite_database, 2), timeout=10)
    assert await telegram_ids(sqlite_database) == [2]  # the cancelled transaction was rolled back


async def test_a_failed_write_releases_the_gate(sqlite_database: Database) -> None:
    await add_user(sqlite_database, 7)
    with contextlib.suppress(Exception):
        await add_user(sqlite_database, 7)  # the Telegram account exists: the insert fails inside the transaction
    await asyncio.wait_for(add_user(sqlite_database, 8), timeout=10)
    assert await telegram_ids(sqlite_database) == [7, 8]


async def test_ending_a_transaction_costs_a_trip_only_when_one_is_open(
    sqlite_database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    await telegram_ids(sqlite_database)  # the pool's connection is opened and set up
    trips: list[str] = []
    real = OneTripConnection._execute

    async def counted(self: OneTripConnection, fn: Any, *args: Any, **kwargs: Any) -> Any:
        trips.append(getattr(fn, "__name__", "statement"))
        return await real(self, fn, *args, **kwargs)

    monkeypatch.setattr(OneTripConnection, "_execute", counted)
    await telegram_ids(sqlite_database)  # a read: no commit, and no rollback when the pool takes it back
    assert trips == ["run"]
    trips.clear()
    await add_user(sqlite_database, 7)  # a write: its statements, one commit, and no reset by the pool
    assert trips == ["run"] * (len(trips) - 1) + ["commit"]
    async with UnitOfWork(sqlite_database) as uow:  # a write given up: rolled back, so it is not kept
        uow.session.add(tg_user(8, first_name="lost", created_at=NOW))
        await uow.session.flush()
    assert await telegram_ids(sqlite_database) == [7]
