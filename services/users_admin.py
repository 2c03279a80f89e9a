"""What an operator does about people: ban and unban them, list them; and cheap look-ups about a sender.

Every function names a person by a ``UserRef``: the internal user id or their Telegram id. ``_find`` is the one
place that turns a reference into a row, so a new way of naming people (identities per channel) changes it alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models.uow import UnitOfWork
from models.users import Role, User
from services.context import Services
from services.users import identity_locale

#: Listings stop here unless asked for more; a city has many citizens.
LIST_LIMIT = 100


@dataclass(frozen=True)
class UserRef:
    """A person as the operator names them: exactly one of the internal id or the Telegram id."""

    user_id: int | None = None
    telegram_id: int | None = None

    def __post_init__(self) -> None:
        if (self.user_id is None) == (self.telegram_id is None):
            raise ValueError("name a person by exactly one of user_id or telegram_id")

    def __str__(self) -> str:
        return f"user {self.user_id}" if self.user_id is not None else f"Telegram user {self.telegram_id}"


class UnknownUser(LookupError):
    """Nobody matches the reference."""


@dataclass(frozen=True)
class UserView:
    """One person as plain values, for the operator."""

    user_id: int
    telegram_id: int
    first_name: str
    username: str | None
    role: Role
    banned: bool
    last_seen_at: datetime | None


@dataclass(frozen=True)
class BanResult:
    """The person after a ban or unban, and whether anything changed."""

    user: UserView
    changed: bool
    created: bool = False  # banned before they ever wrote to the bot


async def set_banned(services: Services, ref: UserRef, banned: bool) -> BanResult:
    """Ban or unban a person; banning someone who never wrote creates their row, so the ban holds from the start."""
    async with UnitOfWork(services.db) as uow:
        user = await _find(uow.session, ref)
        created = False
        if user is None:
            if not banned or ref.telegram_id is None:
                raise UnknownUser(f"no {ref} has written to the bot")
            user = User(telegram_id=ref.telegram_id, first_name="", created_at=services.clock.now(), banned=False)
            uow.session.add(user)
            created = True
        changed = bool(user.banned) != banned
        user.banned = banned
        await uow.session.flush()
        view = _view(user)
        await uow.commit()
    return BanResult(view, changed, created)


async def list_users(services: Services, *, banned_only: bool = False, limit: int = LIST_LIMIT) -> list[UserView]:
    """People the bot knows, most recently seen first (only banned ones if asked)."""
    query = select(User).order_by(User.last_seen_at.desc().nulls_last(), User.id.desc()).limit(limit)
    if banned_only:
        query = query.where(User.banned.is_(True))
    async with UnitOfWork(services.db) as uow:
        return [_view(user) for user in await uow.session.scalars(query)]


async def is_banned(services: Services, ref: UserRef) -> bool:
    """Whether the person is banned (someone unknown is not)."""
    async with UnitOfWork(services.db) as uow:
        user = await _find(uow.session, ref)
        return bool(user is not None and user.banned)


async def sender_locale(services: Services, ref: UserRef, language_code: str | None) -> str:
    """The catalog a sender reads: their stored choice, else their app's language."""
    async with UnitOfWork(services.db) as uow:
        user = await _find(uow.session, ref)
        return user.locale if user is not None else identity_locale(language_code)


async def _find(session: AsyncSession, ref: UserRef) -> User | None:
    if ref.user_id is not None:
        return await session.get(User, ref.user_id)
    return await session.scalar(select(User).where(User.telegram_id == ref.telegram_id))


def _view(user: User) -> UserView:
    return UserView(
        user.id, user.telegram_id, user.first_name, user.username, Role(user.role), bool(user.banned), user.last_seen_at
    )
