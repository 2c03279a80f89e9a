"""Subscribing a chat to the city, a street or a community, and ending it (both databases)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from models.broadcast import Subscription
from models.uow import UnitOfWork
from services.context import Services
from services.outbox import Contact
from services.summary.subscriptions import UnknownArea, areas, find_area, subscribe, subscription_of, unsubscribe
from tests.integration.summary_world import UNITS, build_world

NOW = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
CHAT = Contact("telegram", "42")


@pytest.fixture
async def city(services: Services) -> Services:
    await build_world(services)
    return services


async def current(services: Services, contact: Contact) -> Subscription | None:
    async with services.db.sessions() as session:
        return await subscription_of(session, contact)


async def test_a_chat_has_one_subscription_and_changing_the_area_replaces_it(city: Services) -> None:
    async with UnitOfWork(city.db) as uow:
        await subscribe(uow.session, contact=CHAT, unit_id=None, language="zh_CN", now=NOW, user_id=1)
        await subscribe(uow.session, contact=CHAT, unit_id="C1", language="en", now=NOW, user_id=1)
        await uow.commit()
    row = await current(city, CHAT)
    assert row is not None and (row.unit_id, row.language, row.active) == ("C1", "en", True)


@pytest.mark.parametrize("unit_id", ["G1", "D1", "nowhere"])
async def test_only_streets_and_communities_can_be_chosen(city: Services, unit_id: str) -> None:
    async with UnitOfWork(city.db) as uow:
        with pytest.raises(UnknownArea):
            await subscribe(uow.session, contact=CHAT, unit_id=unit_id, language="zh_CN", now=NOW)


async def test_unsubscribing_ends_the_subscription_and_subscribing_again_revives_it(city: Services) -> None:
    async with UnitOfWork(city.db) as uow:
        await subscribe(uow.session, contact=CHAT, unit_id="S1", language="zh_CN", now=NOW)
        assert await unsubscribe(uow.session, CHAT, NOW)
        assert not await unsubscribe(uow.session, CHAT, NOW)  # nothing left to end
        await uow.commit()
    row = await current(city, CHAT)
    assert row is not None and not row.active and row.ended_reason == "unsubscribed"
    async with UnitOfWork(city.db) as uow:
        await subscribe(uow.session, contact=CHAT, unit_id=None, language="zh_CN", now=NOW)
        await uow.commit()
    row = await current(city, CHAT)
    assert row is not None and row.active and row.unit_id is None and row.ended_reason is None


async def test_areas_list_streets_then_the_communities_of_a_street(city: Services) -> None:
    async with city.db.sessions() as session:
        streets = await areas(session)
        communities = await areas(session, "S2")
        by_name = await find_area(session, "多福巷社区")
        by_id = await find_area(session, "S1")
        grid = await find_area(session, "G1")
    names = dict((uid, name) for uid, name, _level, _parent in UNITS)
    assert [u.id for u in streets] == sorted(["S1", "S2"], key=lambda uid: names[uid])
    assert [u.id for u in communities] == ["C2"]
    assert by_name is not None and by_name.id == "C1"
    assert by_id is not None and by_id.name == "东华门街道"
    assert grid is None
