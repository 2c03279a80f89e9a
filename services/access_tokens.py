"""An account's API access token, shared by every process that serves the account.

The issuer (WeChat's ``/cgi-bin/token``) allows few fetches a day, and each fetch invalidates the previous token
a few minutes later: processes that fetch on their own keep knocking each other's token out. So the token is kept
in one row per account (``access_tokens``, keyed by the AppID), and a process fetches only under that row's lease:

- ``current(fetch)`` answers from this process's copy until a safety margin before expiry, then reads the row;
  only when the row's token is missing, about to expire or was refused does it take the renewal lease: holding
  the row briefly (PostgreSQL: a row lock; SQLite: the write lock) it looks again (another process may have
  fetched meanwhile) and, if nobody is renewing, notes ``renewing_until`` and commits. It calls ``fetch`` with no
  lock held, then stores the token. Other processes wait for it (polling the row) up to the lease's length, then
  take the lease over (its holder died). Waiting is reading: no lock is taken while another process fetches.
- ``refused(value)``: the issuer said ``value`` is invalid or expired. It is replaced only while it is still the
  stored token, so N processes refused the same token cause one fetch.

No lock is held while ``fetch`` talks to the issuer: on SQLite the write lock is the whole database's, and an
issuer that does not answer must not hold up every other writer.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from models.tokens import AccessToken
from models.uow import UnitOfWork
from services.context import Services

#: Stop using a token this long before it expires (at most half its lifetime), so no call goes out with a dying one.
REFRESH_MARGIN = timedelta(minutes=5)
#: How long a process may take to fetch a token before another takes the renewal over.
LEASE = timedelta(seconds=20)
#: How often a process waiting for another's renewal reads the row.
POLL_SECONDS = 0.1


@dataclass(frozen=True)
class IssuedToken:
    """A token as the issuer handed it out, and how long the issuer says it lives."""

    value: str
    lifetime: timedelta


#: Fetches a new token from the issuer (raises when it cannot).
Fetch = Callable[[], Awaitable[IssuedToken]]


def use_until(fetched_at: datetime, expires_at: datetime) -> datetime:
    """When to stop using a token: ``REFRESH_MARGIN`` before it expires, or half-way for a short-lived one."""
    return expires_at - min(REFRESH_MARGIN, (expires_at - fetched_at) / 2)


@dataclass(frozen=True)
class _Copy:
    value: str
    use_until: datetime


class SharedAccessToken:
    """The access token of account ``app_id``, kept in the database for every process and copied in this one."""

    def __init__(self, services: Services, app_id: str) -> None:
        self._services = services
        self._app_id = app_id
        self._copy: _Copy | None = None
        #: The last token the issuer refused: not used again even if the row still holds it.
        self._refused: str | None = None
        self._lock = asyncio.Lock()

    async def current(self, fetch: Fetch) -> str:
        """A token to call the API with; ``fetch`` runs only when no process has a usable one."""
        if (token := self._usable_copy()) is not None:
            return token
        async with self._lock:
            # A caller that waited here while another coroutine renewed finds its copy.
            if (token := self._usable_copy()) is not None:
                return token
            copy = (await self._look())[0] or await self._renew(fetch)
            self._copy = copy
            return copy.value

    async def refused(self, value: str) -> None:
        """The issuer refused ``value`` (invalid, replaced or expired): the next ``current`` gets another token."""
        async with self._lock:
            self._refused = value
            if self._copy is not None and self._copy.value == value:
                self._copy = None

    def _usable_copy(self) -> str | None:
        copy = self._copy
        if copy is not None and self._services.clock.now() < copy.use_until:
            return copy.value
        return None

    def _usable(self, row: AccessToken | None) -> _Copy | None:
        """The row's token unless it is missing, refused or about to expire."""
        if row is None or not row.token or row.token == self._refused:
            return None
        until = use_until(row.fetched_at, row.expires_at)
        return _Copy(row.token, until) if self._services.clock.now() < until else None

    async def _look(self) -> tuple[_Copy | None, bool]:
        """The stored token if usable, and whether a renewal lease is running (a read: most processes find the token
        another one fetched)."""
        async with UnitOfWork(self._services.db) as uow:
            row = await uow.session.get(AccessToken, self._app_id)
        renewing = (
            row is not None and row.renewing_until is not None and row.renewing_until > self._services.clock.now()
        )
        return self._usable(row), renewing

    async def _renew(self, fetch: Fetch) -> _Copy:
        """Take the renewal lease and fetch, or wait for the process that holds it."""
        loop = asyncio.get_running_loop()
        give_up_waiting = loop.time() + LEASE.total_seconds()
        while True:
            lease = await self._lease(take_over=loop.time() >= give_up_waiting)
            if isinstance(lease, _Copy):
                return lease  # another process fetched while this one waited
            if lease is not None:
                break
            # Another process is fetching: wait for its token by reading (no lock), until its lease ends or lapses.
            while loop.time() < give_up_waiting:
                await asyncio.sleep(POLL_SECONDS)
                found, renewing = await self._look()
                if found is not None:
                    return found
                if not renewing:
                    break
        try:
            issued = await fetch()
        except BaseException:
            await self._store(lease, None)
            raise
        now = self._services.clock.now()
        await self._store(lease, issued, now)
        return _Copy(issued.value, use_until(now, now + issued.lifetime))

    async def _lease(self, *, take_over: bool) -> _Copy | datetime | None:
        """The stored token if it became usable; else this process's lease (its end), or None while another
        process holds one (``take_over``: take it anyway, its holder is gone)."""
        async with UnitOfWork(self._services.db) as uow:
            row = await self._hold(uow.session)
            found = self._usable(row)
            if found is not None:
                return found
            now = self._services.clock.now()
            if row.renewing_until is not None and row.renewing_until > now and not take_over:
                return None
            row.renewing_until = now + LEASE
            await uow.commit()
            return row.renewing_until

    async def _store(self, lease: datetime, issued: IssuedToken | None, now: datetime | None = None) -> None:
        """Keep the fetched token (None: the fetch failed), stamped ``now``, and end this process's lease."""
        async with UnitOfWork(self._services.db) as uow:
            row = await self._hold(uow.session)
            if row.renewing_until == lease:
                row.renewing_until = None
            if issued is not None and now is not None:
                row.token, row.fetched_at, row.expires_at = issued.value, now, now + issued.lifetime
            await uow.commit()

    async def _hold(self, session: AsyncSession) -> AccessToken:
        """The account's row (created empty if need be), held until the transaction ends.

        The insert comes first: on SQLite it takes the write lock before anything is read (so what is read next is
        the newest), on PostgreSQL it waits for another process creating the row; ``FOR UPDATE`` then waits for one
        holding it. An empty token stands for "none fetched yet".
        """
        db = self._services.db
        now = self._services.clock.now()
        insert = sqlite_insert if db.is_sqlite else postgresql_insert
        await session.execute(
            insert(AccessToken)
            .values(app_id=self._app_id, token="", fetched_at=now, expires_at=now)
            .on_conflict_do_nothing(index_elements=["app_id"])
        )
        query = select(AccessToken).where(AccessToken.app_id == self._app_id).execution_options(populate_existing=True)
        if not db.is_sqlite:
            query = query.with_for_update()
        return (await session.scalars(query)).one()
