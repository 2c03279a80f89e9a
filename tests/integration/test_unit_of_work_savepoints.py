"""A unit of work is one transaction on both databases, savepoints inside it included: what it did before and inside
a savepoint is kept only if it commits (on SQLite, a savepoint's release used to commit everything so far)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from models.db import Database
from models.identities import UserIdentity
from models.uow import UnitOfWork
from tests.world import tg_user

NOW = datetime(2026, 11, 16, 2, 0, tzinfo=UTC)


async def telegram_ids(db: Database) -> list[int]:
    async with UnitOfWork(db) as uow:
        accounts = await uow.session.scalars(select(UserIdentity.external_id).where(UserIdentity.channel == "telegram"))
        return sorted(int(external_id) for external_id in accounts)


async def test_a_failed_unit_of_work_leaves_nothing_of_its_savepoints(database: Database) -> None:
    with pytest.raises(RuntimeError):
        async with UnitOfWork(database) as uow:
            async with uow.session.begin_nested():  # released: not yet committed
                uow.session.add(tg_user(1, first_name="inside", created_at=NOW))
                await uow.session.flush()
            uow.session.add(tg_user(2, first_name="after", created_at=NOW))
            await uow.session.flush()
            raise RuntimeError("the turn failed before committing")
    assert await telegram_ids(database) == []


async def test_a_committed_unit_of_work_keeps_its_savepoints_and_what_came_after(database: Database) -> None:
    async with UnitOfWork(database) as uow:
        uow.session.add(tg_user(1, first_name="before", created_at=NOW))
        await uow.session.flush()
        async with uow.session.begin_nested():
            uow.session.add(tg_user(2, first_name="inside", created_at=NOW))
            await uow.session.flush()
        uow.session.add(tg_user(3, first_name="after", created_at=NOW))
        await uow.commit()
    assert await telegram_ids(database) == [1, 2, 3]
