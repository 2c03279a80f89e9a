"""Officer self-onboarding through the sandbox: ``/start join_<token>`` binds once, then refuses clearly."""

from __future__ import annotations

from datetime import timedelta

from channels.telegram import CHANNEL as TELEGRAM
from models.grid import BindingRole
from models.uow import UnitOfWork
from models.users import Role
from sandbox.client import SandboxClient
from services.clock import ManualClock
from services.context import Services
from services.officers import create_invite
from services.responsibility import officers_of, supervisors_at
from services.users import user_by_identity
from tests.e2e.conftest import RunningBot
from tests.integration.test_routing_service import build_hierarchy


async def invite(services: Services, unit_id: str, role: BindingRole = BindingRole.OFFICER) -> str:
    async with UnitOfWork(services.db) as uow:
        made = await create_invite(uow.session, unit_id, now=services.clock.now(), role=role)
        await uow.commit()
        return made.token


async def test_officer_joins_by_link_and_the_link_is_then_spent(bot: RunningBot, client: SandboxClient) -> None:
    assert bot.services is not None
    await build_hierarchy(bot.services)
    token = await invite(bot.services, "G10")
    li = await client.create_user(first_name="李雷", language_code="zh-hans")
    await client.send_command(li, "/start", f"join_{token}")
    reply = await client.wait_for_message(li.chat_id)
    assert reply.text.startswith("您已成为Grid 1,0的网格员")
    async with UnitOfWork(bot.services.db) as uow:
        assert [u.contact_address for u in await officers_of(uow.session, "G10")] == [str(li.id)]
        user = await user_by_identity(uow.session, TELEGRAM, li.id)
        assert user is not None and user.role == Role.OFFICER
    anna = await client.create_user(first_name="Anna", language_code="en")
    await client.send_command(anna, "/start", f"join_{token}")
    refused = await client.wait_for_message(anna.chat_id)
    assert refused.text == "This invite link has already been used. Ask your supervisor for a new one."
    async with UnitOfWork(bot.services.db) as uow:
        assert len(await officers_of(uow.session, "G10")) == 1


async def test_supervisor_link_and_expired_and_unknown_links(
    bot: RunningBot, client: SandboxClient, clock: ManualClock
) -> None:
    assert bot.services is not None
    await build_hierarchy(bot.services)
    boss = await client.create_user(first_name="Anna", language_code="en")
    await client.send_command(boss, "/start", f"join_{await invite(bot.services, 'S2', BindingRole.SUPERVISOR)}")
    assert (await client.wait_for_message(boss.chat_id)).text.startswith(
        "You are now a supervisor of Street S2: you cover every unit below it."
    )
    async with UnitOfWork(bot.services.db) as uow:
        assert [u.contact_address for u in await supervisors_at(uow.session, "S2")] == [str(boss.id)]

    late = await client.create_user(first_name="王芳", language_code="zh")
    stale = await invite(bot.services, "G00")
    clock.advance(timedelta(hours=73))
    await client.send_command(late, "/start", f"join_{stale}")
    assert (await client.wait_for_message(late.chat_id)).text == "该邀请链接已过期，请向上级索取新的链接。"
    await client.send_command(late, "/start", "join_forged-token")
    assert (await client.wait_for_message(late.chat_id)).text == "该邀请链接无效，请向上级索取新的链接。"
    async with UnitOfWork(bot.services.db) as uow:
        assert await officers_of(uow.session, "G00") == []
