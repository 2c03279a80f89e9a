"""What every Telegram adapter needs: the wired services, the user's turn, groups and the /help registry."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from telegram import Update
from telegram.ext import ContextTypes

from models.uow import UnitOfWork
from models.users import Role, User
from services.context import Services
from services.i18n import N_, Translator
from services.users import Identity, touch_user

# Handler groups: PTB runs one handler per group, groups in order. Commands and buttons first; then answers to a
# question the bot asked an officer; then the citizen's report intake, which also answers stray messages.
GROUP_COMMANDS = 0
GROUP_PROMPTS = 1
GROUP_INTAKE = 2


def services(context: ContextTypes.DEFAULT_TYPE) -> Services:
    """The services wired by the composition root."""
    return context.application.bot_data["services"]  # type: ignore[no-any-return]


def identity(update: Update) -> Identity:
    """The sender of ``update`` as plain values."""
    who = update.effective_user
    if who is None:
        raise ValueError("update without a sender")
    return Identity(who.id, who.first_name or "", who.username, who.language_code)


@dataclass
class Turn:
    """One update's unit of work, its user and their translator."""

    services: Services
    uow: UnitOfWork
    user: User
    t: Translator

    @property
    def session(self):  # type: ignore[no-untyped-def]
        """The unit of work's session."""
        return self.uow.session


@asynccontextmanager
async def turn(update: Update, context: ContextTypes.DEFAULT_TYPE) -> AsyncIterator[Turn]:
    """Open a unit of work for ``update``; it commits when the handler finishes without an error."""
    svc = services(context)
    async with UnitOfWork(svc.db) as uow:
        user = await touch_user(uow.session, identity(update), svc.clock.now())
        yield Turn(svc, uow, user, Translator(user.locale))
        await uow.commit()


@dataclass(frozen=True)
class CommandInfo:
    """A command shown by /help to the roles that may use it."""

    name: str
    description: str  # a message id, translated when shown
    roles: frozenset[Role]


EVERYONE = frozenset(Role)
OFFICERS = frozenset({Role.OFFICER, Role.SUPERVISOR, Role.ADMIN})
SUPERVISORS = frozenset({Role.SUPERVISOR, Role.ADMIN})

COMMANDS: list[CommandInfo] = [
    CommandInfo("start", N_("Start the bot"), EVERYONE),
    CommandInfo("help", N_("What I can do for you"), EVERYONE),
    CommandInfo("lang", N_("Switch language: 中文 / English"), EVERYONE),
]


def add_command(name: str, description: str, roles: frozenset[Role] = EVERYONE) -> None:
    """Make ``/name`` appear in /help for ``roles`` (idempotent)."""
    if all(c.name != name for c in COMMANDS):
        COMMANDS.append(CommandInfo(name, description, roles))


def commands_for(role: Role) -> list[CommandInfo]:
    """The commands a user with ``role`` may use, in registration order."""
    return [c for c in COMMANDS if role in c.roles]
