"""Who is talking: users, their language and their roles."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import Select, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from models.grid import BindingRole, OfficerBinding
from models.identities import UserIdentity
from models.uow import UnitOfWork
from models.users import Role, User
from services.i18n import LOCALES

if TYPE_CHECKING:
    from services.context import Services

#: How stale ``User.last_seen_at`` may get: it is rewritten at most this often, not on every update.
LAST_SEEN_PRECISION = timedelta(minutes=5)


@dataclass(frozen=True)
class Identity:
    """What a channel tells us about a person, as plain values: who they are there and how they call themselves."""

    external_id: int | str
    first_name: str = ""
    username: str | None = None
    language_code: str | None = None
    channel: str = ""

    @property
    def key(self) -> tuple[str, str]:
        """(channel, external id as text): how the person is found again."""
        return self.channel, str(self.external_id)


def _person_query(channel: str, external_id: str) -> Select[User, UserIdentity]:
    return (
        select(User, UserIdentity)
        .join(UserIdentity, UserIdentity.user_id == User.id)
        .where(UserIdentity.channel == channel, UserIdentity.external_id == external_id)
    )


async def touch_user(session: AsyncSession, who: Identity, now: datetime) -> User:
    """The user behind ``who``, created on first contact and refreshed when something about them changed.

    Writing to us from a channel makes it the person's contact channel (notices go where they last wrote).
    """
    if not who.channel:
        raise ValueError("an identity needs its channel")
    channel, external_id = who.key
    found = (await session.execute(_person_query(channel, external_id))).first()
    first_name = who.first_name[:128]
    if found is None:
        user = User(
            first_name=first_name,
            channel_language=who.language_code,
            role=Role.CITIZEN,
            created_at=now,
            last_seen_at=now,
            contact_channel=channel,
            contact_address=external_id,
        )
        session.add(user)
        await session.flush()
        session.add(_identity_row(user.id, who, now))
        await session.flush()
        return user
    user, account = found
    # Only assign what differs: an unchanged row is not written, so an ordinary turn's reads take no write lock
    # (on SQLite the first write of a transaction locks the whole database until it commits).
    if account.display_name != first_name:
        account.display_name = first_name
    if user.first_name != first_name:
        user.first_name = first_name
    if account.username != who.username:
        account.username = who.username
    if who.language_code and account.language != who.language_code:
        account.language = who.language_code
    if who.language_code and user.channel_language != who.language_code:
        user.channel_language = who.language_code
    if user.last_seen_at is None or now - user.last_seen_at >= LAST_SEEN_PRECISION:
        user.last_seen_at = now
        account.last_seen_at = now
    if account.blocked:
        account.blocked = False  # they wrote to us, so they have not blocked the bot
    if (user.contact_channel, user.contact_address) != (channel, external_id):
        user.contact_channel, user.contact_address = channel, external_id
    return user


def _identity_row(user_id: int, who: Identity, now: datetime) -> UserIdentity:
    channel, external_id = who.key
    return UserIdentity(
        user_id=user_id,
        channel=channel,
        external_id=external_id,
        display_name=who.first_name[:128],
        username=who.username,
        language=who.language_code,
        blocked=False,
        created_at=now,
        last_seen_at=now,
    )


async def user_by_identity(session: AsyncSession, channel: str, external_id: int | str) -> User | None:
    """The user with that account on ``channel``, or None."""
    found = (await session.execute(_person_query(channel, str(external_id)))).first()
    return found[0] if found is not None else None


async def ensure_user(session: AsyncSession, who: Identity, now: datetime, *, display_name: str | None = None) -> User:
    """The user behind ``who``, created if needed without marking them as seen (for the CLI and seeding)."""
    user = await user_by_identity(session, *who.key)
    if user is None:
        user = await touch_user(session, who, now)
        user.last_seen_at = None
    if display_name:
        user.first_name = display_name[:128]
    return user


async def mark_unreachable(session: AsyncSession, channel: str, address: str) -> None:
    """The account at (channel, address) blocked the bot: stop sending there until the person writes again."""
    await session.execute(
        update(UserIdentity)
        .where(UserIdentity.channel == channel, UserIdentity.external_id == address)
        .values(blocked=True)
    )
    await session.execute(
        update(User)
        .where(User.contact_channel == channel, User.contact_address == address)
        .values(contact_channel=None, contact_address=None)
    )


async def account_gone(services: Services, channel: str, address: str) -> None:
    """The person left the channel (unfollowed the account): nothing more is sent there until they write again."""
    async with UnitOfWork(services.db) as uow:
        await mark_unreachable(uow.session, channel, address)
        await uow.commit()


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
