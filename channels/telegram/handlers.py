"""The PTB handlers: parse the update into an event, call the conversation service, hand the reply to the renderer.

One handler takes every message (and edit), one every button press; which use case runs is the service's
business. An album's one answer comes from a timer started here (the database says whether it is still due);
work the reply leaves for later (an evidence copy) runs as an application task.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import Application, CallbackQueryHandler, ContextTypes, MessageHandler, filters

from channels.telegram.parse import event_of, sender_of, with_admin
from channels.telegram.render import Renderer, answer_choice, compose, send_messages
from services.conversation import Conversation, Photo, Reply, Sender

log = logging.getLogger(__name__)
App = Application[Any, Any, Any, Any, Any, Any]


class TelegramHandlers:
    """The Telegram side of the conversation: one instance per application, registered by the composition root."""

    def __init__(self, conversation: Conversation) -> None:
        self.conversation = conversation

    def register(self, app: App) -> None:
        """Take every message, edit and button press; report errors politely."""
        app.add_handler(MessageHandler(filters.UpdateType.MESSAGES, self.on_message))
        app.add_handler(CallbackQueryHandler(self.on_choice))
        app.add_error_handler(self.on_error)

    async def on_message(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A message or an edit: its event goes to the service, the reply to the chat."""
        message, sender = update.effective_message, sender_of(update)
        event = event_of(update, context.bot)
        if message is None or sender is None or event is None:
            return
        sender = await with_admin(context.bot, update, sender, event)
        reply = await self.conversation.handle(sender, event)
        self._after(context.application, reply)
        if isinstance(event, Photo) and event.album is not None and reply.album_due_in is not None:
            wait = self._album_later(context.application, sender, event.album, message.chat_id, reply.album_due_in)
            context.application.create_task(wait, name=f"album:{message.chat_id}:{event.album}")
        messages = compose(reply)
        if messages:
            quote = message.message_id if message.chat.type != ChatType.PRIVATE else None
            renderer = Renderer(self.conversation.services, reply.locale)
            await send_messages(context.bot, message.chat_id, messages, renderer, quote=quote)

    async def on_choice(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A button press: the service re-authorises its token; the press is answered, refused or not."""
        query, sender = update.callback_query, sender_of(update)
        event = event_of(update, context.bot)
        if query is None or sender is None or event is None:
            return
        sender = await with_admin(context.bot, update, sender, event)
        reply = await self.conversation.handle(sender, event)
        self._after(context.application, reply)
        chat_id = query.message.chat.id if query.message is not None else None
        await answer_choice(context.bot, query, chat_id, reply, Renderer(self.conversation.services, reply.locale))

    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Log the error and tell the person politely; never show a traceback."""
        log.error("error while handling an update", exc_info=context.error)
        sender = sender_of(update) if isinstance(update, Update) else None
        if sender is None or not isinstance(update, Update):
            return
        reply = await self.conversation.apology(sender)
        renderer = Renderer(self.conversation.services, reply.locale)
        text = renderer.text(reply.messages[0].lines)
        try:
            if update.callback_query is not None:
                await update.callback_query.answer(text, show_alert=True)
            elif update.effective_chat is not None:
                await context.bot.send_message(update.effective_chat.id, text)
        except Exception:
            log.warning("could not deliver the error reply", exc_info=True)

    def _after(self, app: App, reply: Reply) -> None:
        """Start the work the reply leaves for later; it runs beside the answer, never before it."""
        for job in reply.later:
            app.create_task(job(), name="conversation-later")

    async def _album_later(self, app: App, sender: Sender, album: str, chat_id: int, delay: float) -> None:
        """Wait until the album's answer is due, then give it unless another photo's timer already did."""
        await asyncio.sleep(delay)
        try:
            reply = await self.conversation.album_due(sender, album)
            messages = compose(reply)
            if messages:
                await send_messages(app.bot, chat_id, messages, Renderer(self.conversation.services, reply.locale))
        except Exception:
            log.exception("could not answer album %s", album)


def register(app: App, conversation: Conversation) -> TelegramHandlers:
    """Let ``app`` hand every message and button press to ``conversation``."""
    handlers = TelegramHandlers(conversation)
    handlers.register(app)
    return handlers
