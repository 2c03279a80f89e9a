"""How the bot takes updates: different chats at the same time, each chat's updates strictly in order, and no
more from one person than the configured rate.

The rate is checked as each update arrives, in arrival order, before it waits for its chat's turn: an update over
the limit is dropped there at the cost of a dictionary look-up, without a handler, a database query or a place in
its chat's queue, so a flood costs the bot little more than reading it, and other chats' updates do not queue
behind its handling.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Awaitable, Coroutine
from typing import Any

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import BaseUpdateProcessor

from channels.telegram import CHANNEL as TELEGRAM
from services.context import Services
from services.i18n import N_, Translator
from services.inbound_limit import Admission, InboundLimiter
from services.users_admin import UserRef, sender_locale

log = logging.getLogger(__name__)
TOO_FAST = N_(
    "You are sending too much at once (more than {limit} messages a minute). "
    "I will ignore what you send for the next minute; then carry on."
)


class PerChatUpdateProcessor(BaseUpdateProcessor):
    """Handles updates of different chats concurrently and those of one chat strictly in arrival order.

    At most ``max_concurrent_updates`` updates run at once, counted only once their chat's turn has come: an
    update waiting behind earlier ones of its own chat holds no slot, so a flood from one chat never keeps
    another chat waiting for a slot.

    With a ``gate``, each update is screened on arrival: one over its sender's rate is dropped at once (it never
    joins its chat's queue), the first one over it is replaced by the gate's answer, in the chat's order.
    """

    def __init__(self, max_concurrent_updates: int = 256, *, gate: InboundGate | None = None) -> None:
        if max_concurrent_updates < 1:
            raise ValueError("max_concurrent_updates must be a positive integer")
        # PTB's own semaphore is taken before do_process_update, that is before the chat's turn: leave it
        # unbounded and bound the updates that actually run, below.
        super().__init__(sys.maxsize)
        self._slots = asyncio.Semaphore(max_concurrent_updates)
        self._running = 0
        self._tails: dict[int, asyncio.Future[None]] = {}
        self._gate = gate

    @property
    def running(self) -> int:
        """How many updates hold a slot right now (their chat's turn came and they run)."""
        return self._running

    @property
    def gate(self) -> InboundGate | None:
        """What screens arriving updates (None: every update is handled)."""
        return self._gate

    @property
    def busy_chats(self) -> int:
        """How many chats have an update running or waiting (0: everything received so far is handled)."""
        return len(self._tails)

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        """Screen the update, wait for the chat's previous update to finish, then take a slot and handle this one."""
        if self._gate is not None:
            verdict = self._gate.screen(update)
            if verdict is not Admission.ACCEPT:
                _discard(coroutine)
                if verdict is Admission.DROP:
                    return
                assert isinstance(update, Update)
                coroutine = self._gate.tell(update)
        key = _chat_key(update)
        if key is None:
            await self._run(coroutine)
            return
        previous = self._tails.get(key)
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._tails[key] = done  # set before any await: tasks start in arrival order, so the chain does too
        try:
            if previous is not None:
                await asyncio.shield(previous)
            await self._run(coroutine)
        finally:
            done.set_result(None)
            if self._tails.get(key) is done:
                del self._tails[key]

    async def _run(self, coroutine: Awaitable[Any]) -> None:
        async with self._slots:
            self._running += 1
            try:
                await coroutine
            finally:
                self._running -= 1

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to tear down."""


def _chat_key(update: object) -> int | None:
    if not isinstance(update, Update):
        return None
    if update.effective_chat is not None:
        return update.effective_chat.id
    return update.effective_user.id if update.effective_user is not None else None


def _discard(coroutine: Awaitable[Any]) -> None:
    """Let go of a handling that will not run (closing it spares the never-awaited warning)."""
    if isinstance(coroutine, Coroutine):
        coroutine.close()


class InboundGate:
    """The per-person rate limit on arriving updates: which to handle, which to answer once, which to drop."""

    def __init__(self, services: Services, limiter: InboundLimiter) -> None:
        self.services = services
        self.limiter = limiter
        self.unread = 0  # updates dropped before they were decoded (also counted in ``limiter.dropped``)

    def screen(self, update: object) -> Admission:
        """Take a token for one arriving update; costs no I/O."""
        if not isinstance(update, Update):
            return Admission.ACCEPT
        sender = update.effective_user
        if sender is None:  # channel posts and service updates come from nobody in particular
            return Admission.ACCEPT
        if update.edited_message is not None and update.edited_message.location is not None:
            return Admission.ACCEPT  # a live location's moves arrive every few seconds, are not the person's doing
        verdict = self.limiter.admit(sender.id)
        if verdict is Admission.REFUSE_AND_TELL:
            log.info("Telegram user %s sent over %d updates a minute; ignoring them for a minute", sender.id,
                     self.limiter.per_minute)  # fmt: skip
        return verdict

    def keep_arrival(self, raw: dict[str, Any]) -> bool:
        """For an update not yet decoded: False if its sender is in their quiet minute (it would be dropped anyway).

        Takes no token: the decoded updates before it may not have been screened yet. When the sender cannot be
        read here, the update is kept and ``screen`` decides.
        """
        sender = _raw_sender(raw)
        if sender is None or not self.limiter.drop_if_quiet(sender):
            return True
        self.unread += 1
        return False

    async def tell(self, update: Update) -> None:
        """Answer the first update over the limit (instead of handling it)."""
        await _tell(update, self.services, self.limiter.per_minute)


#: Kinds of update whose ``from`` is what PTB calls the update's ``effective_user``.
_FROM_SENDER = ("message", "callback_query", "inline_query", "chosen_inline_result", "my_chat_member", "chat_member")


def _raw_sender(raw: dict[str, Any]) -> int | None:
    """The sender of an undecoded update, when it is plain; None for anything else (a live location's move too)."""
    edited = raw.get("edited_message")
    if isinstance(edited, dict):
        return None if "location" in edited else _id_of(edited.get("from"))
    for kind in _FROM_SENDER:
        payload = raw.get(kind)
        if isinstance(payload, dict):
            return _id_of(payload.get("from"))
    return None


def _id_of(user: object) -> int | None:
    sender = user.get("id") if isinstance(user, dict) else None
    return sender if isinstance(sender, int) and not isinstance(sender, bool) else None


async def _tell(update: Update, services: Services, limit: int) -> None:
    """Say once, in the sender's language, why they get no answers for a while."""
    sender = update.effective_user
    assert sender is not None
    t = Translator(await sender_locale(services, UserRef.account(TELEGRAM, sender.id), sender.language_code))
    text = t(TOO_FAST, limit=limit)
    try:
        if update.callback_query is not None:
            await update.callback_query.answer(text, show_alert=True)
        elif update.effective_chat is not None:
            await update.get_bot().send_message(update.effective_chat.id, text)
    except TelegramError:  # the answer is a courtesy; the update is dropped either way
        log.warning("could not tell %s about the rate limit", sender.id, exc_info=True)
