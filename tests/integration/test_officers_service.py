"""Officer bindings and invite links: roles stay in sync, invites work once and expire."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from channels.telegram import CHANNEL as TELEGRAM
from models.grid import BindingRole
from models.uow import UnitOfWork
from models.users import Role
from services.clock import ManualClock
from services.context import Services
from services.grids import UnknownUnit
from services.officers import (
    InviteError,
    UnknownOfficer,
    add_officer,
    create_invite,
    invite_link,
    list_bindings,
    redeem_invite,
    remove_officer,
)
from services.responsibility import covered_unit_ids, officers_of
from services.users import Identity, user_by_identity
from tests.integration.test_routing_service import build_hierarchy
from tests.world import tg_user


def tg(telegram_id: int) -> Identity:
    """A Telegram account, as the CLI names an officer."""
    return Identity(telegram_id, channel=TELEGRAM)


async def role_of(services: Services, telegram_id: int) -> Role | None:
    async with UnitOfWork(services.db) as uow:
        user = await user_by_identity(uow.session, TELEGRAM, telegram_id)
        return None if user is None else Role(user.role)


async def test_add_list_remove_keeps_the_role_in_sync(services: Services) -> None:
    await build_hierarchy(services)
    now = services.clock.now()
    async with UnitOfWork(services.db) as uow:
        await add_officer(uow.session, tg(1001), "G00", now=now, display_name="Wang Wei")
        await add_officer(uow.session, tg(1001), "G01", now=now)
        await add_officer(uow.session, tg(2002), "S1", now=now, role=BindingRole.SUPERVISOR)
        await uow.commit()
    assert await role_of(services, 1001) == Role.OFFICER
    assert await role_of(services, 2002) == Role.SUPERVISOR
    async with UnitOfWork(services.db) as uow:
        listed = await list_bindings(uow.session)
        assert [(b.accounts, b.unit_id, b.role) for b in listed] == [
            ("telegram:1001", "G00", BindingRole.OFFICER),
            ("telegram:1001", "G01", BindingRole.OFFICER),
            ("telegram:2002", "S1", BindingRole.SUPERVISOR),
        ]
        assert listed[0].display_name == "Wang Wei" and listed[0].unit_name == "Grid 0,0"
        assert [b.accounts for b in await list_bindings(uow.session, "S1")] == ["telegram:2002"]
        # Promoting the officer of G00 to its supervisor changes the binding, not adds one.
        await add_officer(uow.session, tg(1001), "G00", now=now, role=BindingRole.SUPERVISOR)
        await uow.commit()
    assert await role_of(services, 1001) == Role.SUPERVISOR
    async with UnitOfWork(services.db) as uow:
        assert await remove_officer(uow.session, tg(1001), "G00") == 1
        await uow.commit()
    assert await role_of(services, 1001) == Role.OFFICER
    async with UnitOfWork(services.db) as uow:
        assert await remove_officer(uow.session, tg(1001)) == 1
        await uow.commit()
    assert await role_of(services, 1001) == Role.CITIZEN


async def test_unknown_unit_and_unknown_officer_are_clear_errors(services: Services) -> None:
    await build_hierarchy(services)
    now = services.clock.now()
    async with UnitOfWork(services.db) as uow:
        with pytest.raises(UnknownUnit, match="'G99'"):
            await add_officer(uow.session, tg(1), "G99", now=now)
        with pytest.raises(UnknownUnit):
            await create_invite(uow.session, "G99", now=now)
        with pytest.raises(UnknownOfficer):
            await remove_officer(uow.session, tg(424242))
        await add_officer(uow.session, tg(5), "G00", now=now)
        with pytest.raises(UnknownOfficer):
            await remove_officer(uow.session, tg(5), "G11")


async def joiner(services: Services, telegram_id: int) -> int:
    async with UnitOfWork(services.db) as uow:
        uow.session.add(tg_user(telegram_id, first_name=f"n{telegram_id}", created_at=services.clock.now()))
        await uow.commit()
    return telegram_id


async def redeem(services: Services, token: str, telegram_id: int) -> str:
    """Open the invite as the user; returns the unit's name."""
    async with UnitOfWork(services.db) as uow:
        user = await user_by_identity(uow.session, TELEGRAM, telegram_id)
        assert user is not None
        _, unit = await redeem_invite(uow.session, token, user, services.clock.now())
        await uow.commit()
        return unit.name


async def test_invite_binds_once_then_refuses(services: Services) -> None:
    await build_hierarchy(services)
    first, second = await joiner(services, 11), await joiner(services, 12)
    async with UnitOfWork(services.db) as uow:
        invite = await create_invite(uow.session, "C01", now=services.clock.now(), role=BindingRole.SUPERVISOR)
        await uow.commit()
    assert len(invite.token) >= 20
    assert await redeem(services, invite.token, first) == "Community C01"
    assert await role_of(services, 11) == Role.SUPERVISOR
    async with UnitOfWork(services.db) as uow:
        user = await user_by_identity(uow.session, TELEGRAM, first)
        assert user is not None
        assert {"C01", "G02", "G03", "G12", "G13"} == await covered_unit_ids(uow.session, user.id)
    with pytest.raises(InviteError) as used:
        await redeem(services, invite.token, second)
    assert used.value.reason == "used"
    with pytest.raises(InviteError) as unknown:
        await redeem(services, "no-such-token", second)
    assert unknown.value.reason == "unknown"
    assert await role_of(services, 12) == Role.CITIZEN


async def test_invite_expires(services: Services, clock: ManualClock) -> None:
    await build_hierarchy(services)
    user = await joiner(services, 21)
    async with UnitOfWork(services.db) as uow:
        invite = await create_invite(uow.session, "G10", now=clock.now(), valid_for=timedelta(hours=72))
        await uow.commit()
    clock.advance(timedelta(hours=72, seconds=1))
    with pytest.raises(InviteError) as expired:
        await redeem(services, invite.token, user)
    assert expired.value.reason == "expired"
    async with UnitOfWork(services.db) as uow:
        assert await officers_of(uow.session, "G10") == []


async def test_invite_just_before_expiry_still_works(services: Services, clock: ManualClock) -> None:
    await build_hierarchy(services)
    user = await joiner(services, 31)
    async with UnitOfWork(services.db) as uow:
        invite = await create_invite(
            uow.session, "G10", now=clock.now(), valid_for=timedelta(hours=1), display_name="Officer Li"
        )
        await uow.commit()
    clock.advance(timedelta(minutes=59))
    assert await redeem(services, invite.token, user) == "Grid 1,0"
    async with UnitOfWork(services.db) as uow:
        joined = await user_by_identity(uow.session, TELEGRAM, 31)
        assert joined is not None
        assert [u.id for u in await officers_of(uow.session, "G10")] == [joined.id]
        assert (await list_bindings(uow.session, "G10"))[0].display_name == "Officer Li"


def test_invite_link_uses_the_bot_username() -> None:
    assert invite_link("abc", "@citybot") == "https://t.me/citybot?start=join_abc"
    assert invite_link("abc", None) is None


async def test_two_people_opening_one_invite_at_once_bind_only_one(services: Services) -> None:
    await build_hierarchy(services)
    people = [await joiner(services, 41), await joiner(services, 42)]
    async with UnitOfWork(services.db) as uow:
        invite = await create_invite(uow.session, "G22", now=services.clock.now())
        await uow.commit()
    outcomes = await asyncio.gather(*(redeem(services, invite.token, p) for p in people), return_exceptions=True)
    assert sorted(type(o).__name__ for o in outcomes) == ["InviteError", "str"]
    async with UnitOfWork(services.db) as uow:
        assert len(await officers_of(uow.session, "G22")) == 1
