"""What an operator does about people: ban and unban them, list them; and cheap look-ups about a sender.

Every function names a person by a ``UserRef``: the internal user id, or an account on a channel (a chat
user id, say). ``_find`` is the one place that turns a reference into a row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models.identities import UserIdentity
from models.uow import UnitOfWork
from models.users import Role, User
from services.context import Services
from services.i18n import locale_for
from services.users import Identity, ensure_user, identity_locale, set_language, user_by_identity

#: Listings stop here unless asked for more; a city has many citizens.
LIST_LIMIT = 100


@dataclass(frozen=True)
class UserRef:
    """A person as the operator names them: exactly one of the internal id or an account (channel, external id)."""

    user_id: int | None = None
    channel: str = ""
    external_id: int | str | None = None

    def __post_init__(self) -> None:
        if (self.user_id is None) == (self.external_id is None) or (self.external_id is not None and not self.channel):
            raise ValueError("name a person by exactly one of user_id or (channel, external_id)")

    @classmethod
    def account(cls, channel: str, external_id: int | str) -> UserRef:
        """The person with this account on ``channel``."""
        return cls(channel=channel, external_id=external_id)

    def __str__(self) -> str:
        if self.user_id is not None:
            return f"user {self.user_id}"
        return f"{self.channel.capitalize()} user {self.external_id}"


class UnknownUser(LookupError):
    """Nobody matches the reference."""


@dataclass(frozen=True)
class UserView:
    """One person as plain values, for the operator."""

    user_id: int
    first_name: str
    role: Role
    banned: bool
    last_seen_at: datetime | None
    accounts: tuple[str, ...] = ()  # "channel:external id" of each account


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
            if not banned or ref.external_id is None:
                raise UnknownUser(f"no {ref} has written to the bot")
            user = await ensure_user(uow.session, Identity(ref.external_id, channel=ref.channel), services.clock.now())
            created = True
        changed = bool(user.banned) != banned
        user.banned = banned
        await uow.session.flush()
        [view] = await _views(uow.session, [user])
        await uow.commit()
    return BanResult(view, changed, created)


async def list_users(services: Services, *, banned_only: bool = False, limit: int = LIST_LIMIT) -> list[UserView]:
    """People the bot knows, most recently seen first (only banned ones if asked)."""
    query = select(User).order_by(User.last_seen_at.desc().nulls_last(), User.id.desc()).limit(limit)
    if banned_only:
        query = query.where(User.banned.is_(True))
    async with UnitOfWork(services.db) as uow:
        return await _views(uow.session, list(await uow.session.scalars(query)))


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


async def choose_language(services: Services, ref: UserRef, language_code: str) -> bool:
    """The person's app now speaks ``language_code`` and they chose its catalog (as with /lang); False if unknown."""
    async with UnitOfWork(services.db) as uow:
        user = await _find(uow.session, ref)
        if user is None:
            return False
        user.channel_language = language_code
        set_language(user, locale_for(language_code))
        await uow.commit()
        return True


async def _find(session: AsyncSession, ref: UserRef) -> User | None:
    if ref.user_id is not None:
        return await session.get(User, ref.user_id)
    assert ref.external_id is not None
    return await user_by_identity(session, ref.channel, ref.external_id)


async def _views(session: AsyncSession, users: list[User]) -> list[UserView]:
    accounts: dict[int, list[str]] = {}
    query = select(UserIdentity.user_id, UserIdentity.channel, UserIdentity.external_id).where(
        UserIdentity.user_id.in_([u.id for u in users])
    )
    for user_id, channel, external_id in await session.execute(query.order_by(UserIdentity.channel)):
        accounts.setdefault(user_id, []).append(f"{channel}:{external_id}")
    return [
        UserView(u.id, u.first_name, Role(u.role), bool(u.banned), u.last_seen_at, tuple(accounts.get(u.id, ())))
        for u in users
    ]
