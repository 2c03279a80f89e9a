"""Binding officers and supervisors to units, by an operator or by a single-use invite link."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from models.grid import BindingRole, GridUnit, Invite, OfficerBinding
from models.identities import UserIdentity
from models.uow import UnitOfWork
from models.users import User
from services.context import Services
from services.grids import require_unit
from services.users import Identity, ensure_user, refresh_role, user_by_identity

#: Deep-link payload prefix: ``/start join_<token>``. Chat deep links allow 64 characters of [A-Za-z0-9_-].
JOIN_PREFIX = "join_"
#: The short code's letters: no 0/O, 1/I/L, so it survives being read out and typed on a phone.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 8


class InviteError(Exception):
    """An invite that cannot be used; ``reason`` is "unknown", "used" or "expired"."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"invite {reason}")
        self.reason = reason


class UnknownOfficer(LookupError):
    """No binding matched the operator's request."""


@dataclass(frozen=True)
class BindingView:
    """One binding as plain values, for listings."""

    #: The person's accounts, "channel:id" comma-separated.
    accounts: str
    user_name: str
    unit_id: str
    unit_name: str
    role: BindingRole
    display_name: str


async def bind(
    session: AsyncSession,
    user: User,
    unit_id: str,
    *,
    now: datetime,
    role: BindingRole = BindingRole.OFFICER,
    display_name: str = "",
) -> OfficerBinding:
    """Bind ``user`` to the unit as officer or supervisor (or change their binding); refreshes their role."""
    await require_unit(session, unit_id)
    binding = await session.scalar(
        select(OfficerBinding).where(OfficerBinding.user_id == user.id, OfficerBinding.unit_id == unit_id)
    )
    if binding is None:
        binding = OfficerBinding(user_id=user.id, unit_id=unit_id, created_at=now)
        session.add(binding)
    binding.role = role
    binding.display_name = display_name[:128] or binding.display_name or ""
    await session.flush()
    await refresh_role(session, user)
    return binding


async def add_officer(
    session: AsyncSession,
    who: Identity,
    unit_id: str,
    *,
    now: datetime,
    role: BindingRole = BindingRole.OFFICER,
    display_name: str = "",
) -> OfficerBinding:
    """Bind the person with the account ``who`` (created if they never wrote to the bot yet)."""
    await require_unit(session, unit_id)
    user = await ensure_user(session, who, now, display_name=display_name or None)
    return await bind(session, user, unit_id, now=now, role=role, display_name=display_name)


async def remove_officer(session: AsyncSession, who: Identity, unit_id: str | None = None) -> int:
    """Remove the user's binding to ``unit_id`` (all their bindings if None); returns how many went."""
    user = await user_by_identity(session, *who.key)
    if user is None:
        raise UnknownOfficer(f"no user with {who.channel} id {who.external_id}")
    query = delete(OfficerBinding).where(OfficerBinding.user_id == user.id)
    if unit_id is not None:
        query = query.where(OfficerBinding.unit_id == unit_id)
    removed = (await session.execute(query)).rowcount  # type: ignore[attr-defined]
    if not removed:
        where = f" at {unit_id}" if unit_id is not None else ""
        raise UnknownOfficer(f"{who.channel} user {who.external_id} has no binding{where}")
    await refresh_role(session, user)
    return int(removed)


async def list_bindings(session: AsyncSession, unit_id: str | None = None) -> list[BindingView]:
    """Every binding (or those of one unit), by unit then role then user."""
    query = (
        select(OfficerBinding, User, GridUnit)
        .join(User, User.id == OfficerBinding.user_id)
        .join(GridUnit, GridUnit.id == OfficerBinding.unit_id)
        .order_by(OfficerBinding.unit_id, OfficerBinding.role, User.id)
    )
    if unit_id is not None:
        query = query.where(OfficerBinding.unit_id == unit_id)
    found = list(await session.execute(query))
    accounts: dict[int, list[str]] = {}
    user_ids = {u.id for _b, u, _unit in found}
    if user_ids:
        rows = await session.execute(
            select(UserIdentity.user_id, UserIdentity.channel, UserIdentity.external_id)
            .where(UserIdentity.user_id.in_(user_ids))
            .order_by(UserIdentity.id)
        )
        for uid, channel, external_id in rows:
            accounts.setdefault(uid, []).append(f"{channel}:{external_id}")
    return [
        BindingView(
            ",".join(accounts.get(u.id, [])), u.first_name, unit.id, unit.name, BindingRole(b.role), b.display_name
        )
        for b, u, unit in found
    ]


async def create_invite(
    session: AsyncSession,
    unit_id: str,
    *,
    now: datetime,
    valid_for: timedelta = timedelta(hours=72),
    role: BindingRole = BindingRole.OFFICER,
    display_name: str = "",
) -> Invite:
    """A fresh single-use invite to ``unit_id`` that expires after ``valid_for``."""
    await require_unit(session, unit_id)
    if valid_for <= timedelta(0):
        raise ValueError("an invite must be valid for some time")
    # 128 random bits; token_urlsafe's alphabet is exactly what a /start payload allows.
    invite = Invite(
        token=secrets.token_urlsafe(16),
        code="".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH)),
        unit_id=unit_id,
        role=role,
        display_name=display_name[:128],
        created_at=now,
        expires_at=now + valid_for,
    )
    session.add(invite)
    await session.flush()
    return invite


async def redeem_invite(session: AsyncSession, token: str, user: User, now: datetime) -> tuple[Invite, GridUnit]:
    """Use the invite for ``user``: bind them and return the invite and its unit; raises ``InviteError``."""
    # One conditional UPDATE claims the invite, so two people opening the link at once cannot both get it.
    claimed = await session.execute(
        update(Invite)
        .where(Invite.token == token, Invite.used_at.is_(None), Invite.expires_at > now)
        .values(used_at=now, used_by_id=user.id)
        .execution_options(synchronize_session=False)
    )
    invite = await session.get(Invite, token, populate_existing=True)
    if invite is None:
        raise InviteError("unknown")
    if not claimed.rowcount:  # type: ignore[attr-defined]
        raise InviteError("used" if invite.used_at is not None else "expired")
    unit = await session.get(GridUnit, invite.unit_id)
    if unit is None:  # the unit was deleted after the invite was made
        raise InviteError("unknown")
    name = invite.display_name or user.first_name
    await bind(session, user, unit.id, now=now, role=BindingRole(invite.role), display_name=name)
    return invite, unit


def normalise_code(typed: str) -> str:
    """A typed invite code as stored: upper case, without spaces or dashes (``abcd-2345`` → ``ABCD2345``)."""
    return "".join(ch for ch in typed.upper() if ch.isalnum())[:16]


async def redeem_code(session: AsyncSession, code: str, user: User, now: datetime) -> tuple[Invite, GridUnit]:
    """Use the invite whose short code is ``code`` (as typed); raises ``InviteError`` like ``redeem_invite``."""
    wanted = normalise_code(code)
    token = await session.scalar(select(Invite.token).where(Invite.code == wanted)) if wanted else None
    if token is None:
        raise InviteError("unknown")
    return await redeem_invite(session, token, user, now)


# ------------------------------------------ the operator's use cases (the CLI's), one unit of work each
async def appoint(services: Services, who: Identity, unit_id: str, *, role: BindingRole, display_name: str = "") -> str:
    """Bind the person with the account ``who`` to ``unit_id``; returns the unit's name (``UnknownUnit`` if none)."""
    async with UnitOfWork(services.db) as uow:
        await add_officer(uow.session, who, unit_id, now=services.clock.now(), role=role, display_name=display_name)
        unit = await require_unit(uow.session, unit_id)
        await uow.commit()
        return unit.name


async def dismiss(services: Services, who: Identity, unit_id: str | None = None) -> int:
    """Remove the bindings of ``who`` (to one unit, or all); returns how many went (``UnknownOfficer`` if none)."""
    async with UnitOfWork(services.db) as uow:
        removed = await remove_officer(uow.session, who, unit_id)
        await uow.commit()
        return removed


async def bindings(services: Services, unit_id: str | None = None) -> list[BindingView]:
    """Every binding, or those of one unit."""
    async with UnitOfWork(services.db) as uow:
        return await list_bindings(uow.session, unit_id)


@dataclass(frozen=True)
class InviteView:
    """A new invite as plain values: its token and when it expires (in the city's time zone)."""

    token: str
    code: str  # the short code a WeChat user sends (绑定 <code>)
    unit_id: str
    role: BindingRole
    expires_at: datetime


async def invite(
    services: Services, unit_id: str, *, role: BindingRole, valid_for: timedelta, display_name: str = ""
) -> InviteView:
    """A fresh single-use invite to ``unit_id`` (``UnknownUnit`` if there is no such unit)."""
    async with UnitOfWork(services.db) as uow:
        made = await create_invite(
            uow.session, unit_id, now=services.clock.now(), role=role, valid_for=valid_for, display_name=display_name
        )
        await uow.commit()
        return InviteView(made.token, made.code or "", made.unit_id, role, made.expires_at.astimezone(services.tz))


def invite_link(token: str, bot_username: str | None) -> str | None:
    """``https://t.me/<bot>?start=join_<token>``, or None without a bot username."""
    if not bot_username:
        return None
    return f"https://t.me/{bot_username.lstrip('@')}?start={JOIN_PREFIX}{token}"
