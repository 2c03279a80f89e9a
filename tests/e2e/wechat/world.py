"""The WeChat channel as deployed, over the offline WeChat: a city with grids, citybot's callback, the sandbox.

``WeChatWorld`` runs ``build_wechat`` over a migrated database, serves its callback on a free port and points
the sandbox account at it; tests act as WeChat users (``wx``) and drive the outbox with ``deliver()``.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from shapely import box
from sqlalchemy import select

from channels.wechat.bootstrap import WeChatChannel, build_wechat
from geo.crs import wgs84_to_gcj02
from models.cases import Case
from models.db import Database
from models.grid import UnitLevel
from models.migrate import upgrade
from models.outbox import OutboxMessage
from models.uow import UnitOfWork
from sandbox.wechat import WeChatSandboxClient, WeChatSandboxServer
from sandbox.wechat.client import Received, WxUser
from services import routing
from services.clock import ManualClock
from services.context import Services
from services.delivery import deliver_due
from services.grids import save_unit
from services.officers import create_invite
from tests.conftest import make_services
from tests.e2e.wechat.conftest import APP_ID, APP_SECRET, TOKEN, channel_settings

#: WGS-84 points: inside grid G-1, and 50 m west of its eastern edge (whose GCJ-02 form lies inside G-2).
INSIDE = (39.9100, 116.4000)
NEAR_EDGE = (39.9100, 116.4094)


async def seed_city(services: Services) -> None:
    """Community C-1 with grids G-1 and G-2 side by side (the edge at longitude 116.41)."""
    now = services.clock.now()
    async with UnitOfWork(services.db) as uow:
        s = uow.session
        await save_unit(s, unit_id="C-1", name="东华门社区", level=UnitLevel.COMMUNITY, now=now,
                        geometry=box(116.38, 39.89, 116.42, 39.93))  # fmt: skip
        await save_unit(s, unit_id="G-1", name="东华门网格一", level=UnitLevel.GRID, now=now, parent_id="C-1",
                        geometry=box(116.39, 39.90, 116.41, 39.92))  # fmt: skip
        await save_unit(s, unit_id="G-2", name="东华门网格二", level=UnitLevel.GRID, now=now, parent_id="C-1",
                        geometry=box(116.41, 39.90, 116.42, 39.92))  # fmt: skip
        await uow.commit()
    await routing.load_grid_index(services)


@dataclass
class WeChatWorld:
    """The sandbox, the bot's WeChat channel over its own database, and helpers a test needs."""

    server: WeChatSandboxServer
    wx: WeChatSandboxClient
    services: Services
    channel: WeChatChannel
    clock: ManualClock

    async def deliver(self) -> int:
        """One outbox pass (what ``citybot run``'s job does every few seconds)."""
        return await deliver_due(self.services)

    async def invite_code(self, unit_id: str, *, supervisor: bool = False) -> str:
        """A fresh invite's short code, as ``citybot officers invite`` prints it."""
        from models.grid import BindingRole

        role = BindingRole.SUPERVISOR if supervisor else BindingRole.OFFICER
        async with UnitOfWork(self.services.db) as uow:
            invite = await create_invite(uow.session, unit_id, now=self.clock.now(), role=role)
            await uow.commit()
            return invite.code or ""

    async def cases(self) -> list[Case]:
        """Every case, oldest first."""
        async with UnitOfWork(self.services.db) as uow:
            return list(await uow.session.scalars(select(Case).order_by(Case.id)))

    async def outbox(self) -> list[OutboxMessage]:
        """Every outbox row, oldest first."""
        async with UnitOfWork(self.services.db) as uow:
            return list(await uow.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))

    async def send_place(self, user: WxUser, wgs: tuple[float, float], label: str | None = None) -> str | None:
        """The user shares a place, given here in WGS-84 and sent as WeChat's map gives it (GCJ-02)."""
        lat, lon = wgs84_to_gcj02(*wgs)
        return (await self.wx.send_location(user, lat, lon, label)).reply

    async def last(self, user: WxUser) -> Received:
        """The last thing the user was shown."""
        return (await self.wx.received(user))[-1]

    async def seen(self, user: WxUser) -> int:
        """How many things the user was shown so far (``after=`` for ``wait_for``)."""
        items = await self.wx.received(user)
        return items[-1].seq if items else 0


def number_of(text: str, label: str) -> str:
    """The number of the list item whose line contains ``label``."""
    found = re.search(rf"^(\d+)\. [^\n]*{re.escape(label)}", text, re.MULTILINE)
    assert found, f"no item {label!r} in:\n{text}"
    return found.group(1)


async def start_world(
    server: WeChatSandboxServer,
    wx: WeChatSandboxClient,
    tmp_path: Path,
    clock: ManualClock,
    *,
    safe: bool,
    msgmenu: bool = False,
    templates: dict[str, str] | None = None,
) -> tuple[WeChatWorld, Database]:
    """Migrate a database, seed the city, build and serve the channel, and point the sandbox account at it."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'citybot.db'}"
    await upgrade(url)
    db = Database(url)
    services = make_services(db, clock, tmp_path)
    services.config.outbox.per_chat_interval_seconds = 0
    services.config.wechat.templates = dict(templates or {})
    await seed_city(services)
    settings = channel_settings(server, safe=safe, msgmenu=msgmenu)
    channel = build_wechat(services, settings)
    url_served = await channel.start("127.0.0.1", 0)
    await wx.configure_account(
        app_id=APP_ID, app_secret=APP_SECRET, token=TOKEN, aes_key=settings.aes_key, callback_url=url_served
    )
    return WeChatWorld(server, wx, services, channel, clock), db


@pytest.fixture
async def world(
    wx_server: WeChatSandboxServer, wx: WeChatSandboxClient, tmp_path: Path, clock: ManualClock, safe_mode: bool
) -> AsyncIterator[WeChatWorld]:
    """citybot's WeChat channel serving the sandbox account, in plaintext and in safe mode."""
    running, db = await start_world(wx_server, wx, tmp_path, clock, safe=safe_mode)
    try:
        yield running
    finally:
        await running.channel.close()
        await db.dispose()
