"""Unit of work: one transaction that rolls back unless the service commits."""

from __future__ import annotations

from types import TracebackType

from sqlalchemy.ext.asyncio import AsyncSession

from models.db import Database


class UnitOfWork:
    """``async with UnitOfWork(db) as uow: ...; await uow.commit()`` — anything not committed is rolled back."""

    session: AsyncSession

    def __init__(self, db: Database) -> None:
        self._db = db

    async def __aenter__(self) -> UnitOfWork:
        self.session = self._db.sessions()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        # close() rolls back whatever was not committed, and leaves loaded objects readable (detached).
        await self.session.close()

    async def commit(self) -> None:
        """Make everything done in this unit of work permanent."""
        await self.session.commit()

    async def rollback(self) -> None:
        """Throw away everything not yet committed."""
        await self.session.rollback()
