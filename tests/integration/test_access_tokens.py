"""The account's access token kept in the database: processes of one account share one fetch, on both databases."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, select, text

from models.db import Database
from models.migrate import upgrade
from models.offered import OfferedChoices
from models.tokens import AccessToken
from models.uow import UnitOfWork
from services.access_tokens import LEASE, IssuedToken, SharedAccessToken
from services.clock import ManualClock
from services.context import Services
from tests.conftest import make_services

APP_ID = "wxc1tyb0t0000001"
LIFETIME = timedelta(seconds=7200)


class Issuer:
    """WeChat's ``/cgi-bin/token``: counts fetches and hands out t1, t2...; ``pause`` keeps each fetch open a
    moment so that processes asking together overlap."""

    def __init__(self, pause: float = 0.0, lifetime: timedelta = LIFETIME) -> None:
        self.fetches = 0
        self.pause = pause
        self.lifetime = lifetime
        self.failures = 0

    async def fetch(self) -> IssuedToken:
        self.fetches += 1
        if self.pause:
            await asyncio.sleep(self.pause)
        if self.failures:
            self.failures -= 1
            raise ConnectionError("WeChat is unreachable")
        return IssuedToken(f"t{self.fetches}", self.lifetime)


@pytest.fixture
async def processes(
    db_url: tuple[str, dict[str, Any]], clock: ManualClock, tmp_path: Path
) -> AsyncIterator[list[Services]]:
    """Three processes of one account: each its own services over its own connections to one migrated database."""
    url, connect_args = db_url
    await upgrade(url, connect_args=connect_args)
    dbs = [Database(url, connect_args=connect_args) for _ in range(3)]
    try:
        yield [make_services(db, clock, tmp_path / f"p{n}") for n, db in enumerate(dbs)]
    finally:
        for db in dbs:
            await db.dispose()


def tokens(processes: list[Services]) -> list[SharedAccessToken]:
    """Each process's view of the account's token (what ``build_wechat`` gives its API client)."""
    return [SharedAccessToken(services, APP_ID) for services in processes]


async def stored(services: Services) -> tuple[str, datetime, datetime] | None:
    async with UnitOfWork(services.db) as uow:
        row = await uow.session.get(AccessToken, APP_ID)
        return None if row is None else (row.token, row.fetched_at, row.expires_at)


async def test_a_second_process_uses_the_token_the_first_fetched(processes: list[Services], clock: ManualClock) -> None:
    first, second, _ = tokens(processes)
    issuer = Issuer()
    assert await first.current(issuer.fetch) == "t1"
    assert await second.current(issuer.fetch) == "t1"
    assert issuer.fetches == 1
    assert await stored(processes[1]) == ("t1", clock.now(), clock.now() + LIFETIME)


async def test_processes_starting_together_fetch_once(processes: list[Services]) -> None:
    issuer = Issuer(pause=0.2)
    views = tokens(processes)
    got = await asyncio.gather(*(view.current(issuer.fetch) for view in views for _ in range(3)))
    assert (issuer.fetches, set(got)) == (1, {"t1"})


async def test_a_token_refused_everywhere_at_once_is_replaced_once(processes: list[Services]) -> None:
    issuer = Issuer()
    views = tokens(processes)
    for view in views:
        assert await view.current(issuer.fetch) == "t1"
    issuer.pause = 0.2

    async def refused_then_retry(view: SharedAccessToken) -> str:
        await view.refused("t1")  # WeChat answered 40001 to this process's call
        return await view.current(issuer.fetch)

    got = await asyncio.gather(*(refused_then_retry(view) for view in views for _ in range(2)))
    assert (issuer.fetches, set(got)) == (2, {"t2"})


async def test_a_refusal_of_a_token_already_replaced_fetches_nothing(processes: list[Services]) -> None:
    first, second, _ = tokens(processes)
    issuer = Issuer()
    await first.current(issuer.fetch)
    await second.current(issuer.fetch)
    await first.refused("t1")
    assert await first.current(issuer.fetch) == "t2"
    # The second process still used t1, which WeChat now refuses: it takes t2 from the database.
    await second.refused("t1")
    assert await second.current(issuer.fetch) == "t2"
    assert issuer.fetches == 2


async def test_the_token_is_renewed_five_minutes_before_it_expires(
    processes: list[Services], clock: ManualClock
) -> None:
    first, second, _ = tokens(processes)
    issuer = Issuer()
    await first.current(issuer.fetch)
    clock.advance(LIFETIME - timedelta(minutes=5, seconds=1))
    assert (await first.current(issuer.fetch), await second.current(issuer.fetch)) == ("t1", "t1")
    clock.advance(timedelta(seconds=2))  # within five minutes of expiry: neither process uses it any more
    assert (await second.current(issuer.fetch), await first.current(issuer.fetch)) == ("t2", "t2")
    assert issuer.fetches == 2


async def test_a_short_lived_token_is_renewed_half_way(processes: list[Services], clock: ManualClock) -> None:
    [view, *_] = tokens(processes)
    issuer = Issuer(lifetime=timedelta(minutes=4))
    await view.current(issuer.fetch)
    clock.advance(timedelta(minutes=1, seconds=59))
    assert await view.current(issuer.fetch) == "t1"
    clock.advance(timedelta(seconds=2))
    assert await view.current(issuer.fetch) == "t2"


async def test_a_message_costs_no_database_trip_while_the_copy_is_fresh(
    processes: list[Services], clock: ManualClock
) -> None:
    services = processes[0]
    [view, *_] = tokens(processes)
    issuer = Issuer()
    await view.current(issuer.fetch)
    statements: list[str] = []
    event.listen(services.db.engine.sync_engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    for _ in range(20):
        assert await view.current(issuer.fetch) == "t1"
    assert statements == []
    clock.advance(LIFETIME)
    assert await view.current(issuer.fetch) == "t2"
    assert any("access_tokens" in sql for sql in statements)


async def test_a_failed_fetch_keeps_nothing_and_the_next_call_fetches(processes: list[Services]) -> None:
    first, second, _ = tokens(processes)
    issuer = Issuer()
    issuer.failures = 1
    with pytest.raises(ConnectionError):
        await first.current(issuer.fetch)
    kept = await stored(processes[0])
    assert kept is None or kept[0] == ""  # no token kept, and the renewal is free for the next caller
    assert await second.current(issuer.fetch) == "t2"
    assert await first.current(issuer.fetch) == "t2"


async def test_accounts_keep_their_own_tokens(processes: list[Services]) -> None:
    issuer = Issuer()
    one = SharedAccessToken(processes[0], APP_ID)
    other = SharedAccessToken(processes[1], "wx0therAccount01")
    assert (await one.current(issuer.fetch), await other.current(issuer.fetch)) == ("t1", "t2")
    await other.refused("t2")
    assert await SharedAccessToken(processes[2], APP_ID).current(issuer.fetch) == "t1"


async def test_upgrading_a_database_with_data_adds_the_token_table(
    db_url: tuple[str, dict[str, Any]], clock: ManualClock, tmp_path: Path
) -> None:
    url, connect_args = db_url
    await upgrade(url, "0008", connect_args=connect_args)
    db = Database(url, connect_args=connect_args)
    then = datetime(2026, 11, 16, 2, 0, tzinfo=UTC)
    try:
        async with db.engine.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO offered_choices (channel, address, items, open, locale, offered_at)"
                    " VALUES ('wechat', 'oCitizen', '[[\"Exposed litter\", \"cat:0102\", []]]', false, 'en', :now)"
                ),
                {"now": then if not db.is_sqlite else then.replace(tzinfo=None)},
            )
        await db.dispose()
        await upgrade(url, connect_args=connect_args)
        db = Database(url, connect_args=connect_args)
        services = make_services(db, clock, tmp_path)
        async with UnitOfWork(db) as uow:
            [kept] = list(await uow.session.scalars(select(OfferedChoices)))
            assert (kept.address, kept.locale, kept.offered_at) == ("oCitizen", "en", then)
        issuer = Issuer()
        assert await SharedAccessToken(services, APP_ID).current(issuer.fetch) == "t1"
        assert await stored(services) == ("t1", clock.now(), clock.now() + LIFETIME)
    finally:
        await db.dispose()


async def test_a_fetch_under_way_holds_up_no_other_writer(processes: list[Services]) -> None:
    first, _, _ = tokens(processes)
    issuer = Issuer(pause=1.0)
    fetching = asyncio.create_task(first.current(issuer.fetch))
    await asyncio.sleep(0.3)  # the issuer is slow to answer
    async with UnitOfWork(processes[1].db) as uow:  # another process writes meanwhile
        uow.session.add(OfferedChoices(channel="wechat", address="o-1", items="[]", offered_at=datetime.now(UTC)))
        await uow.commit()
    assert not fetching.done()  # the write went through while the fetch was still waiting
    assert await fetching == "t1"


async def test_a_renewal_whose_process_died_is_taken_over_once_its_lease_ends(
    processes: list[Services], clock: ManualClock
) -> None:
    async with UnitOfWork(processes[0].db) as uow:  # a process took the lease, then died before storing a token
        now = clock.now()
        uow.session.add(
            AccessToken(app_id=APP_ID, token="", fetched_at=now, expires_at=now, renewing_until=now + LEASE)
        )
        await uow.commit()
    clock.advance(LEASE + timedelta(seconds=1))
    issuer = Issuer()
    assert await tokens(processes)[1].current(issuer.fetch) == "t1"
    assert issuer.fetches == 1
