"""The schema, migrations and the unit of work on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import select, text

from models import Base, Case, CaseStatus, User, transition
from models.db import Database
from models.uow import UnitOfWork
from services.users import user_by_identity
from tests.world import tg_user

NOW = datetime(2026, 11, 16, 2, 0, tzinfo=UTC)


async def test_migrations_build_exactly_the_models(database: Database) -> None:
    async with database.engine.connect() as conn:
        diff = await conn.run_sync(
            lambda sync: compare_metadata(MigrationContext.configure(sync, opts={"compare_type": True}), Base.metadata)
        )
    assert diff == []


async def test_unit_of_work_rolls_back_unless_committed(database: Database) -> None:
    async with UnitOfWork(database) as uow:
        uow.session.add(tg_user(1, first_name="kept", created_at=NOW))
        await uow.commit()
    async with UnitOfWork(database) as uow:
        uow.session.add(tg_user(2, first_name="lost", created_at=NOW))
    async with UnitOfWork(database) as uow:
        names = list(await uow.session.scalars(select(User.first_name)))
    assert names == ["kept"]


async def test_times_come_back_aware_and_in_utc(database: Database) -> None:
    beijing = timezone(timedelta(hours=8))
    async with UnitOfWork(database) as uow:
        uow.session.add(tg_user(5, created_at=datetime(2026, 11, 16, 10, 0, tzinfo=beijing)))
        await uow.commit()
    async with UnitOfWork(database) as uow:
        user = await user_by_identity(uow.session, "telegram", 5)
    assert user is not None
    assert user.created_at == NOW and user.created_at.utcoffset() == timedelta(0)


async def test_a_transition_is_stored_with_its_history(database: Database) -> None:
    async with UnitOfWork(database) as uow:
        reporter = tg_user(10, created_at=NOW)
        uow.session.add(reporter)
        await uow.session.flush()
        case = Case(reporter_id=reporter.id, category="0102", lat=39.91, lon=116.40, reported_at=NOW)
        uow.session.add(case)
        await uow.session.flush()
        transition(case, CaseStatus.DISPATCHED, at=NOW, actor_id=None, action="dispatch")
        await uow.commit()
        case_id = case.id
    async with UnitOfWork(database) as uow:
        stored = await uow.session.get(Case, case_id)
        assert stored is not None
        assert stored.status == CaseStatus.DISPATCHED
        assert [(e.from_status, e.to_status) for e in stored.events] == [("submitted", "dispatched")]


async def test_sqlite_runs_in_wal_mode_with_foreign_keys(sqlite_database: Database) -> None:
    async with sqlite_database.engine.connect() as conn:
        assert (await conn.execute(text("PRAGMA journal_mode"))).scalar() == "wal"
        assert (await conn.execute(text("PRAGMA foreign_keys"))).scalar() == 1
