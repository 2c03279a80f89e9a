"""The one builder of test cities: units, people with their accounts, bindings and cases, written as the services
would have written them.

    async with build(services) as city:
        await city.units(CHAIN_UNITS)                      # rows without territory
        await city.downtown("G-1", "G-2")                  # community C-1 with grids that have polygons
        anna = await city.person(1001, "Anna", language="en")
        await city.bind(anna, "G-1", BindingRole.OFFICER, display_name="网格员安娜")
    # committed here

The scenario modules (``tests/integration/sla_world.py``, ``summary_world.py``, ``open311_world.py`` and the e2e
``staffed_city``) describe their city with it; none of them writes rows its own way.
"""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from itertools import count
from typing import Any
from zoneinfo import ZoneInfo

from shapely import MultiPolygon, Polygon, box
from sqlalchemy.ext.asyncio import AsyncSession

from channels.telegram import CHANNEL
from models.grid import BindingRole, OfficerBinding, UnitLevel
from models.identities import UserIdentity
from models.uow import UnitOfWork
from models.users import Role, User
from services.context import Services
from services.grids import save_unit
from services.messages import Message, Text
from services.outbox import Contact, enqueue
from services.users import user_by_identity

EPOCH = datetime(2026, 1, 1, tzinfo=UTC)
BEIJING = ZoneInfo("Asia/Shanghai")
#: Community C-1 (东华门社区) and its grids, about 2 km across in central Beijing.
COMMUNITY_AREA = box(116.38, 39.89, 116.42, 39.93)
DOWNTOWN_GRIDS = {
    "G-1": ("东华门网格一", box(116.39, 39.90, 116.41, 39.92)),
    "G-2": ("东华门网格二", box(116.41, 39.90, 116.42, 39.92)),
}
INSIDE = (39.9100, 116.4000)  # inside grid G-1
OUTSIDE = (31.2304, 121.4737)  # far from every grid
#: (id, name, level, parent): one grid up to its district.
CHAIN_UNITS = [
    ("D1", "东城区", UnitLevel.DISTRICT, None),
    ("S1", "东华门街道", UnitLevel.STREET, "D1"),
    ("C1", "多福巷社区", UnitLevel.COMMUNITY, "S1"),
    ("G1", "多福巷01网格", UnitLevel.GRID, "C1"),
]
UnitRow = tuple[str, str, UnitLevel, str | None]
_STAFF_ROLE = {BindingRole.OFFICER: Role.OFFICER, BindingRole.SUPERVISOR: Role.SUPERVISOR}
_telegram_ids = count(1000)


def beijing(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    """A Beijing wall-clock time as an aware datetime (in Beijing's zone)."""
    return datetime(year, month, day, hour, minute, tzinfo=BEIJING)


def free_port() -> int:
    """A TCP port nobody listens on now (for a process started by a test)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def tg_user(
    telegram_id: int,
    *,
    blocked_bot: bool = False,
    telegram_language: str | None = None,
    username: str | None = None,
    **columns: Any,
) -> User:
    """A ``User`` with a Telegram identity; ``blocked_bot`` leaves them without a contact (as a 403 does)."""
    created = columns.setdefault("created_at", EPOCH)
    account = UserIdentity(
        channel=CHANNEL,
        external_id=str(telegram_id),
        display_name=columns.get("first_name", ""),
        username=username,
        language=telegram_language,
        blocked=blocked_bot,
        created_at=created,
    )
    contact = {} if blocked_bot else {"contact_channel": CHANNEL, "contact_address": str(telegram_id)}
    return User(channel_language=telegram_language, identities=[account], **contact, **columns)


async def queue_text(session: AsyncSession, chat: int, text: str, *, kind: str, now: datetime, **extra: Any) -> Any:
    """Queue a plain text for a Telegram chat, as a notice the core wrote would be."""
    message = Message(lines=(Text.raw(text),))
    return await enqueue(session, to=Contact(CHANNEL, str(chat)), message=message, kind=kind, now=now, **extra)


class City:
    """Writes a city into one session; ``build()`` opens and commits it."""

    def __init__(self, session: AsyncSession, now: datetime) -> None:
        self.session = session
        self.now = now

    async def units(self, rows: Iterable[UnitRow]) -> None:
        """Units without territory, parents first (as the rows are given)."""
        for unit_id, name, level, parent in rows:
            await self.unit(unit_id, name, level, parent)

    async def unit(
        self,
        unit_id: str,
        name: str,
        level: UnitLevel,
        parent: str | None = None,
        *,
        centroid: tuple[float, float] | None = None,
    ) -> None:
        """One unit without territory; ``centroid`` places it for "the nearest unit" look-ups."""
        unit, _ = await save_unit(self.session, unit_id=unit_id, name=name, level=level, now=self.now, parent_id=parent)
        if centroid is not None:
            unit.centroid_lat, unit.centroid_lon = centroid
            await self.session.flush()

    async def area(
        self, unit_id: str, name: str, level: UnitLevel, shape: Polygon | MultiPolygon, parent: str | None = None
    ) -> None:
        """A unit with its territory (routing finds it once the grid index is reloaded)."""
        await save_unit(
            self.session, unit_id=unit_id, name=name, level=level, now=self.now, parent_id=parent, geometry=shape
        )

    async def downtown(self, *grids: str) -> None:
        """Community C-1 with the named grids of ``DOWNTOWN_GRIDS`` (default G-1) inside it."""
        await self.area("C-1", "东华门社区", UnitLevel.COMMUNITY, COMMUNITY_AREA)
        for grid in grids or ("G-1",):
            name, shape = DOWNTOWN_GRIDS[grid]
            await self.area(grid, name, UnitLevel.GRID, shape, parent="C-1")

    async def person(self, telegram_id: int | None = None, name: str = "Li", **columns: Any) -> User:
        """Someone with a Telegram account (a fresh id unless given); columns as ``tg_user`` takes them."""
        columns.setdefault("created_at", self.now)
        user = tg_user(next(_telegram_ids) if telegram_id is None else telegram_id, first_name=name, **columns)
        self.session.add(user)
        await self.session.flush()
        return user

    async def account(self, telegram_id: int) -> User:
        """The person who already wrote to the bot from ``telegram_id``."""
        user = await user_by_identity(self.session, CHANNEL, telegram_id)
        assert user is not None, f"nobody with Telegram id {telegram_id}"
        return user

    async def bind(self, user: User, unit_id: str, role: BindingRole, display_name: str = "") -> None:
        """Bind ``user`` to the unit, with the staff role that binding gives (admins stay admins)."""
        self.session.add(
            OfficerBinding(user_id=user.id, unit_id=unit_id, role=role, display_name=display_name, created_at=self.now)
        )
        if user.role != Role.ADMIN and (user.role != Role.SUPERVISOR or role == BindingRole.SUPERVISOR):
            user.role = _STAFF_ROLE[BindingRole(role)]
        await self.session.flush()

    async def staff(
        self, telegram_id: int, name: str, unit_id: str, role: BindingRole, display_name: str = "", **columns: Any
    ) -> User:
        """A new person bound to ``unit_id``."""
        user = await self.person(telegram_id, name, **columns)
        await self.bind(user, unit_id, role, display_name)
        return user


@asynccontextmanager
async def build(services: Services, now: datetime | None = None) -> AsyncIterator[City]:
    """A ``City`` over one unit of work at ``now`` (default the services' clock), committed when the block ends."""
    async with UnitOfWork(services.db) as uow:
        yield City(uow.session, now or services.clock.now())
        await uow.commit()


async def make_grid(services: Services, with_officer: bool = True) -> User | None:
    """Grid G-1 (about 2 km square around INSIDE) under community C-1, with one officer unless told otherwise."""
    async with build(services) as city:
        await city.downtown("G-1")
        if not with_officer:
            return None
        return await city.staff(next(_telegram_ids), "Officer", "G-1", BindingRole.OFFICER, display_name="王")


async def make_user(services: Services, language: str = "zh-hans", **fields: Any) -> User:
    """A citizen who wrote from Telegram in ``language``."""
    async with build(services) as city:
        return await city.person(None, "Li", telegram_language=language, **fields)
