"""Who is talking: users, their language and their roles."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models.grid import BindingRole, OfficerBinding
from models.users import Role, User
from services.i18n import LOCALES

#: How stale ``User.last_seen_at`` may get: it is rewritten at most this often, not on every update.
LAST_SEEN_PRECISION = timedelta(minutes=5)


@dataclass(frozen=True)
class Identity:
    """What the chat platform tells us about a person, as plain values."""

    telegram_id: int
    first_name: str = ""
    username: str | None = None
    language_code: str | None = None


async def touch_user(session: AsyncSession, who: Identity, now: datetime) -> User:
    """The user row for ``who``, created on first contact and refreshed when something about them changed."""
    user = await session.scalar(select(User).where(User.telegram_id == who.telegram_id))
    if user is None:
        user = User(
            telegram_id=who.telegram_id,
            first_name=who.first_name[:128],
            username=who.username,
            telegram_language=who.language_code,
            role=Role.CITIZEN,
            created_at=now,
            last_seen_at=now,
            blocked_bot=False,
        )
        session.add(user)
        await session.flush()
        return user
    # Only assign what differs: an unchanged row is not written, so an ordinary turn's reads take no write lock
    # (on SQLite the first write of a transaction locks the whole database until it commits).
    first_name = who.first_name[:128]
    if user.first_name != first_name:
        user.first_name = first_name
    if user.username != who.username:
        user.username = who.username
    if who.language_code and user.telegram_language != who.language_code:
        user.telegram_language = who.language_code
    if user.last_seen_at is None or now - user.last_seen_at >= LAST_SEEN_PRECISION:
        user.last_seen_at = now
    if user.blocked_bot:
        user.blocked_bot = False  # they wrote to us, so they have not blocked the bot
    return user


async def user_by_telegram_id(session: AsyncSession, telegram_id: int) -> User | None:
    """The user with ``telegram_id``, or None."""
    return await session.scalar(select(User).where(User.telegram_id == telegram_id))


def set_language(user: User, locale: str) -> None:
    """Remember the catalog the user chose with /lang."""
    if locale not in LOCALES:
        raise ValueError(f"unknown locale {locale!r}")
    user.language = locale


async def refresh_role(session: AsyncSession, user: User) -> Role:
    """Derive the user's role from their bindings (admins stay admins) and store it."""
    if user.role == Role.ADMIN:
        return user.role
    roles = set(await session.scalars(select(OfficerBinding.role).where(OfficerBinding.user_id == user.id)))
    if BindingRole.SUPERVISOR in roles:
        user.role = Role.SUPERVISOR
    elif BindingRole.OFFICER in roles:
        user.role = Role.OFFICER
    else:
        user.role = Role.CITIZEN
    return user.role


def identity_locale(language_code: str | None) -> str:
    """The catalog for someone we have no row for yet."""
    from services.i18n import locale_for

    return locale_for(language_code)
