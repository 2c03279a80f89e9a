"""The conversation service: one entry point for every channel's events, in the project's own terms.

``handle`` opens the unit of work, finds the person (the one place a turn touches the user row), runs the use
case the event asks for and returns a ``Reply`` for the adapter to render. Nothing the person sent is lost when
something fails: the transaction rolls back and the adapter shows ``apology``.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError

from models.receipts import claim_in
from models.uow import UnitOfWork
from models.users import User
from services import cases, photos
from services.context import Services
from services.conversation import (
    core,
    mycases,
    officer,
    pages,
    questions,
    report,
    report_choices,
    report_photos,
    subscriptions,
    supervisor,
    tokens,
)
from services.conversation.events import Command, Edited, Event, Location, Photo, Picked, Sender, Typed
from services.conversation.replies import Edit, Reply
from services.conversation.turn import Turn
from services.i18n import N_, locale_for
from services.messages import Message, Text
from services.users import touch_user
from services.users_admin import UserRef, is_banned

log = logging.getLogger(__name__)

Handler = Callable[[Turn, Command], Awaitable[Reply]]


def _without_args(run: Callable[[Turn], Awaitable[Reply]]) -> Handler:
    async def handler(turn: Turn, _: Command) -> Reply:
        return await run(turn)

    return handler


COMMAND_HANDLERS: dict[str, Handler] = {
    "start": core.start,
    "bind": core.bind,
    "help": _without_args(core.help_command),
    "lang": core.lang,
    "subscribe": subscriptions.subscribe_command,
    "unsubscribe": _without_args(subscriptions.unsubscribe_command),
    "leaderboard": subscriptions.leaderboard_command,
    "report": _without_args(report.report_command),
    "cancel": _without_args(report.cancel_command),
    "skip": _without_args(report.skip_command),
    "my": _without_args(mycases.my_command),
    "tasks": _without_args(officer.tasks_command),
    "queue": _without_args(supervisor.queue_command),
    "case": supervisor.case_command,
    **{name: supervisor.decision_command for name in supervisor.DECISIONS},
}


#: The lists shown in pages, by the name their page choices carry.
LISTS: dict[str, Callable[[Turn, int], Awaitable[Message]]] = {
    "tasks": officer.tasks_page,
    "queue": supervisor.queue_page,
    "my": mycases.my_page,
}


class Conversation:
    """What every channel's adapter calls: an event in, a ``Reply`` out."""

    def __init__(self, services: Services) -> None:
        self.services = services

    async def handle(self, sender: Sender, event: Event, *, receipt: str | None = None) -> Reply:
        """Run the use case ``event`` asks for, in one unit of work, and say what to answer.

        ``receipt``: the key the channel redelivers the message under; it is claimed in the same transaction, so a
        redelivery of a message taken in changes nothing and says nothing (an empty reply), while one whose first
        delivery died before committing is taken in.
        """
        if not _concerns_us(sender, event):
            return Reply()
        data = await _read_first(self.services, sender, event)  # network I/O before the transaction, not inside
        return await self._turn(sender, lambda turn: _dispatch(turn, event, data), receipt)

    async def album_due(self, sender: Sender, album: str) -> Reply:
        """The one answer to an album (called ``Reply.album_due_in`` seconds after a photo of it)."""
        return await self._turn(sender, lambda turn: report_photos.album_answer(turn, album))

    async def apology(self, sender: Sender) -> Reply:
        """The answer after a failure on our side, in the person's language if the database can still tell it."""
        reply = core.apology()
        reply.locale = locale_for(sender.identity.language_code)
        try:
            async with UnitOfWork(self.services.db) as uow:
                reply.locale = (await self._person(uow.session, sender, self.services.clock.now())).locale
        except Exception:  # the database itself may be what failed
            log.warning("could not read the person's language for the apology", exc_info=True)
        return reply

    async def _turn(self, sender: Sender, run: Callable[[Turn], Awaitable[Reply]], receipt: str | None = None) -> Reply:
        try:
            return await self._turn_once(sender, run, receipt)
        except StaleDataError:
            # Another turn of this person (in another chat, an album's timer, another process) removed or changed
            # a row this one changed, and committed first: nothing of this turn was written. It runs again on
            # what is there now (a draft that is gone answers as gone).
            return await self._turn_once(sender, run, receipt)

    async def _turn_once(
        self, sender: Sender, run: Callable[[Turn], Awaitable[Reply]], receipt: str | None = None
    ) -> Reply:
        async with UnitOfWork(self.services.db) as uow:
            now = self.services.clock.now()
            try:
                user = await self._person(uow.session, sender, now)
            except IntegrityError:
                # The person's first two messages came at once (in a group and in their own chat, or to two
                # processes): the other turn created their row first. Start over and read it.
                await uow.rollback()
                user = await self._person(uow.session, sender, now)
            if user.created_at == now or uow.session.dirty:
                # The person's own row changed (first contact, a new name, the last-seen time): written on its
                # own, so the turn's reads and work do not wait with the database's write lock held.
                await uow.commit()
            turn = Turn(self.services, uow.session, user, sender)
            reply = await run(turn)
            # Last, so the write lock it takes is held only to the commit.
            if receipt is not None and not await claim_in(uow.session, sender.identity.channel, receipt, now):
                await uow.rollback()
                log.info("%s was taken in already; this delivery changes nothing", receipt)
                return Reply()
            await uow.commit()
        reply.locale = user.locale
        if turn.discard:  # copies of photos nobody will submit, removed only once that is committed
            await photos.remove_copies(self.services, turn.discard)
        return reply

    async def _person(self, session: AsyncSession, sender: Sender, now: datetime) -> User:
        """The person's user row, created on first contact: the one place a turn touches it."""
        return await touch_user(session, sender.identity, now)


def _concerns_us(sender: Sender, event: Event) -> bool:
    """Commands and picks count anywhere; other messages only in the person's own conversation with us.

    A corrected command is answered (it is never run again: an edited "/extend 1 4h" must not extend twice); other
    edits change nothing: the later points of a live location, a text that was answered already.
    """
    if isinstance(event, Edited):
        return isinstance(event.event, Command)
    return isinstance(event, (Command, Picked)) or sender.private


async def _read_first(services: Services, sender: Sender, event: Event) -> bytes | None:
    """The bytes of an image sent as a file (its EXIF may hold the place), or of a photo answering the question
    for an after-photo (its copy is kept, so a reporter on another channel can be shown it); None otherwise.

    A banned sender's picture is never fetched: the turn refuses it anyway.
    """
    if not isinstance(event, Photo):
        return None
    who = sender.identity
    if not event.as_file:
        too_big = event.file.size is not None and event.file.size > photos.max_bytes(services)
        if too_big or not await cases.awaits_after_photo(services, who.channel, str(who.external_id)):
            return None
        return await event.fetch()
    if photos.check_upload(services, event.file.mime_type, event.file.size) is not None:
        return None
    if await is_banned(services, UserRef.account(who.channel, who.external_id)):
        return None
    return await report_photos.fetch_bytes(event)


EDITED_COMMAND = N_("Editing a message does not run its command again. Send the command as a new message.")


async def _dispatch(turn: Turn, event: Event, data: bytes | None) -> Reply:
    if isinstance(event, Edited) and isinstance(event.event, Command):
        # An edit must never repeat an action (an edited "/extend 1 4h" would extend the case again).
        return Reply(lead=(Text(EDITED_COMMAND),))
    if isinstance(event, Edited):
        event = event.event
    if isinstance(event, Picked):
        return await _pick(turn, event.token)
    if isinstance(event, Command):
        return await _command(turn, event)
    state = await turn.state(limit=isinstance(event, (Photo, Location)))
    if state.question is not None:
        return await questions.answer(turn, state.question, event, data)
    if isinstance(event, Photo):
        return await report_photos.receive(turn, event, data, state)
    return await report.receive(turn, event if isinstance(event, (Typed, Location)) else None, state)


async def _command(turn: Turn, command: Command) -> Reply:
    if command.name in ("skip", "cancel"):  # while a question is open, they belong to it
        question = (await turn.state()).question
        if question is not None:
            return await questions.command(turn, question, command.name)
    handler = COMMAND_HANDLERS.get(command.name)
    return await handler(turn, command) if handler is not None else core.unknown_command(command)


async def _pick(turn: Turn, token: str) -> Reply:
    prefix = token.partition(":")[0]
    if prefix == "draft":
        return await report_choices.pick(turn, token)
    if prefix == "case" and (parsed := tokens.parse_case(token)) is not None:
        action, case_id, unit_id = parsed
        if action in officer.OFFICER_ACTIONS:
            return await officer.pick(turn, action, case_id)
        return await supervisor.pick(turn, action, case_id, unit_id)
    if prefix == "lang":
        return await core.pick_language(turn, token)
    if prefix == "my":
        return await mycases.pick(turn, token)
    if prefix == "page" and (turned := pages.parse(token)) is not None:
        name, number = turned
        page = await LISTS[name](turn, number)
        return Reply(edit=Edit(page.lines, page.choices))
    if prefix == "sub":
        return await subscriptions.pick(turn, token)
    return core.stale_choice()
