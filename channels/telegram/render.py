"""Replies as Bot API calls: the messages (text, inline keyboards from choices, the location keyboard and its
removal, a map pin), the edit of the message whose choice was picked and the answer to the press.

Telegram's limits are met here and in ``sender`` (whose keyboards and limits replies share), never in the core:
4096 UTF-16 units a message (longer text is split at line breaks, the keyboard on the last part), 200 units an
answer to a press (cut), 64 bytes of callback data (a longer token is left out, with a warning), one keyboard a
message. Replies carry no pictures: those reach people as notices, which the sender renders.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Sequence
from dataclasses import replace

from telegram import Bot, CallbackQuery, InlineKeyboardMarkup, ReplyParameters
from telegram.error import BadRequest

from channels.telegram.limits import MAX_ANSWER, MAX_TEXT, cut, split_text
from channels.telegram.sender import Markup, keyboard, markup_for
from services.context import Services
from services.conversation import Edit, Reply
from services.i18n import Translator
from services.messages import Message, Text, render_line


class Renderer:
    """Renders replies for one reader: their language, and the services that name categories and times."""

    def __init__(self, services: Services, locale: str) -> None:
        self.services = services
        self.t = Translator(locale)

    def line(self, line: Text) -> str:
        """One line in the reader's language."""
        return render_line(self.services, line, self.t)

    def text(self, lines: Sequence[Text]) -> str:
        """Lines joined by line breaks."""
        return "\n".join(self.line(line) for line in lines)

    def markup(self, message: Message) -> Markup | None:
        """The message's keyboard: its choices, the location button, or the location button's removal."""
        return markup_for(self.services, message, self.t)

    def inline(self, edit: Edit) -> InlineKeyboardMarkup | None:
        """The choices an edited message shows now (None: it shows none)."""
        return keyboard(self.services, edit.choices, self.t) if edit.choices else None


def compose(reply: Reply) -> list[Message]:
    """The reply's messages with its lead in front of the first, as far as Telegram allows.

    A message carries one keyboard: when the reply takes the location keyboard away and its first message has a
    keyboard of its own, the lead goes alone and carries the removal.
    """
    messages = list(reply.messages)
    first = messages[0] if messages else None
    keyboard_of_its_own = first is not None and bool(first.choices or first.ask_location)
    if reply.lead and first is not None and not (reply.end_location and keyboard_of_its_own):
        messages[0] = first.with_lead(reply.lead)
        if reply.end_location:
            messages[0] = replace(messages[0], end_location=True)
    elif reply.lead:
        messages.insert(0, Message(reply.lead, end_location=reply.end_location))
    elif reply.end_location and first is not None and not keyboard_of_its_own:
        messages[0] = replace(first, end_location=True)
    return messages


async def send_messages(
    bot: Bot, chat_id: int, messages: Sequence[Message], renderer: Renderer, *, quote: int | None = None
) -> None:
    """Send ``messages`` in order; ``quote`` is the message the first one answers (in groups)."""
    for message in messages:
        if message.photos:
            raise ValueError("a reply carries no pictures; send them as a notice")
        text, markup = renderer.text(message.lines), renderer.markup(message)
        parts = split_text(text, MAX_TEXT) if text else []
        for n, part in enumerate(parts):
            replying = ReplyParameters(quote, allow_sending_without_reply=True) if quote is not None else None
            last = n == len(parts) - 1
            await bot.send_message(chat_id, part, reply_markup=markup if last else None, reply_parameters=replying)
            quote = None
        if message.location is not None:
            await bot.send_location(chat_id, *message.location)


async def answer_choice(bot: Bot, query: CallbackQuery, chat_id: int | None, reply: Reply, renderer: Renderer) -> None:
    """Answer a press: an alert when it was refused; else the toast, the edit and the new messages together."""
    if reply.alert is not None:
        await query.answer(cut(renderer.line(reply.alert), MAX_ANSWER), show_alert=True)
        return
    toast = cut(renderer.line(reply.toast), MAX_ANSWER) if reply.toast else None
    calls: list[Awaitable[object]] = [query.answer(toast)]
    if reply.edit is not None:
        calls.append(_edit(query, reply.edit, renderer))
    messages = compose(reply)
    if messages and chat_id is not None:
        calls.append(send_messages(bot, chat_id, messages, renderer))
    await asyncio.gather(*calls)


async def _edit(query: CallbackQuery, edit: Edit, renderer: Renderer) -> None:
    markup = renderer.inline(edit)
    try:
        if edit.lines is None:
            await query.edit_message_reply_markup(markup)
        else:
            await query.edit_message_text(split_text(renderer.text(edit.lines), MAX_TEXT)[0], reply_markup=markup)
    except BadRequest:  # the message is too old to edit, or already reads the same: the answer still goes out
        pass
