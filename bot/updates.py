"""How the bot takes updates: different chats at the same time, each chat's updates strictly in order, and no
more from one person than the configured rate."""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import ApplicationHandlerStop, BaseHandler, BaseUpdateProcessor, ContextTypes, TypeHandler

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
    """

    def __init__(self, max_concurrent_updates: int = 256) -> None:
        if max_concurrent_updates < 1:
            raise ValueError("max_concurrent_updates must be a positive integer")
        # PTB's own semaphore is taken before do_process_update, that is before the chat's turn: leave it
        # unbounded and bound the updates that actually run, below.
        super().__init__(sys.maxsize)
        self._slots = asyncio.Semaphore(max_concurrent_updates)
        self._running = 0
        self._tails: dict[int, asyncio.Future[None]] = {}

    @property
    def running(self) -> int:
        """How many updates hold a slot right now (their chat's turn came and they run)."""
        return self._running

    @property
    def busy_chats(self) -> int:
        """How many chats have an update running or waiting (0: everything received so far is handled)."""
        return len(self._tails)

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        """Wait for the chat's previous update to finish, then take a slot and handle this one."""
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


def inbound_limit_handler(services: Services, limiter: InboundLimiter) -> BaseHandler[Update, Any, None]:
    """A handler for a group before all others that stops updates of a sender over the limit before any other runs."""

    async def check(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        sender = update.effective_user
        if sender is None:  # channel posts and service updates come from nobody in particular
            return
        if update.edited_message is not None and update.edited_message.location is not None:
            return  # a live location's moves arrive every few seconds, are not the person's doing, and are ignored
        verdict = limiter.admit(sender.id)
        if verdict is Admission.ACCEPT:
            return
        if verdict is Admission.REFUSE_AND_TELL:
            log.info("Telegram user %s sent over %d updates a minute; ignoring them for a minute", sender.id,
                     limiter.per_minute)  # fmt: skip
            await _tell(update, services, limiter.per_minute)
        raise ApplicationHandlerStop

    return TypeHandler(Update, check)


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
