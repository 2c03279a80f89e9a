"""Replies as Bot API calls: text with inline keyboards from choices, the location keyboard and its removal,
photos with captions within Telegram's limits, the edit of a pressed message and the answer to the press.

Telegram's limits are met here, never in the core: 4096 characters a message (longer text is split at line
breaks, the keyboard on the last part), 1024 a caption (a longer one goes as its own message), 10 photos an
album, 64 bytes of callback data (``keyboards``), and no message with both an inline keyboard and a reply keyboard.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from pathlib import Path

from telegram import (
    Bot,
    CallbackQuery,
    InputMediaPhoto,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    ReplyParameters,
)
from telegram import InlineKeyboardMarkup as Inline
from telegram.error import BadRequest

from channels.telegram.keyboards import inline_keyboard, location_keyboard
from services.context import Services
from services.conversation import Edit, Reply
from services.i18n import N_, Translator
from services.messages import Message, PhotoRef, Text, render_line

TEXT_MAX = 4096
CAPTION_MAX = 1024
ALBUM_MAX = 10
SEND_MY_LOCATION = N_("📍 Send my location")

Markup = Inline | ReplyKeyboardMarkup | ReplyKeyboardRemove
#: A photo Telegram can send: a file id it knows, or a local file to upload.
PhotoFile = Callable[[PhotoRef], str | Path]


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
        if message.choices:
            return inline_keyboard(message.choices, self.line)
        if message.ask_location:
            return location_keyboard(self.t(SEND_MY_LOCATION))
        return ReplyKeyboardRemove() if message.end_location else None


def compose(reply: Reply) -> list[Message]:
    """The reply's messages with its lead in front of the first, as far as Telegram allows.

    A message carries one keyboard: when the reply takes the location keyboard away and its first message has a
    keyboard of its own, the lead goes alone and carries the removal.
    """
    messages = list(reply.messages)
    first = messages[0] if messages else None
    keyboard = first is not None and bool(first.choices or first.ask_location)
    if reply.lead and first is not None and not (reply.end_location and keyboard):
        messages[0] = first.with_lead(reply.lead)
        if reply.end_location:
            messages[0] = replace(messages[0], end_location=True)
    elif reply.lead:
        messages.insert(0, Message(reply.lead, end_location=reply.end_location))
    elif reply.end_location and first is not None and not keyboard:
        messages[0] = replace(first, end_location=True)
    return messages


def _split(body: str, limit: int = TEXT_MAX) -> list[str]:
    """``body`` in parts of at most ``limit`` characters, cut at line breaks where possible."""
    parts: list[str] = []
    while len(body) > limit:
        cut = body.rfind("\n", 0, limit)
        cut = cut if cut > 0 else limit
        parts.append(body[:cut])
        body = body[cut:].lstrip("\n")
    return [*parts, body]


async def send_messages(
    bot: Bot,
    chat_id: int,
    messages: Sequence[Message],
    renderer: Renderer,
    *,
    quote: int | None = None,
    photo_file: PhotoFile | None = None,
) -> None:
    """Send ``messages`` in order; ``quote`` is the message the first one answers (in groups)."""
    for message in messages:
        await _send(bot, chat_id, message, renderer, quote, photo_file)
        quote = None


async def _send(
    bot: Bot, chat_id: int, message: Message, renderer: Renderer, quote: int | None, photo_file: PhotoFile | None
) -> None:
    text, markup = renderer.text(message.lines), renderer.markup(message)
    replying = ReplyParameters(quote, allow_sending_without_reply=True) if quote is not None else None
    if message.photos:
        if photo_file is None:
            raise ValueError("a message with photos needs a way to find their files")
        text = await _send_photos(bot, chat_id, message, text, markup, replying, photo_file)
        replying = None
    if text:
        parts = _split(text)
        for n, part in enumerate(parts):
            last = n == len(parts) - 1
            await bot.send_message(
                chat_id, part, reply_markup=markup if last else None, reply_parameters=replying if n == 0 else None
            )
    if message.location is not None:
        await bot.send_location(chat_id, *message.location)


async def _send_photos(
    bot: Bot,
    chat_id: int,
    message: Message,
    text: str,
    markup: Markup | None,
    replying: ReplyParameters | None,
    photo_file: PhotoFile,
) -> str:
    """Send the photos, the text as their caption if it fits; returns the text still to send as a message."""
    files = [photo_file(ref) for ref in message.photos[:ALBUM_MAX]]
    if len(files) == 1:
        # One photo carries its caption and keyboard; a caption too long for it goes after, with the keyboard.
        fits = len(text) <= CAPTION_MAX
        await bot.send_photo(
            chat_id,
            files[0],
            caption=text if fits else None,
            reply_markup=markup if fits else None,
            reply_parameters=replying,
        )
        return "" if fits else text
    # An album cannot carry a keyboard: then its text follows it as a message of its own.
    caption = text if len(text) <= CAPTION_MAX and markup is None else None
    media = [InputMediaPhoto(f, caption=caption if n == 0 else None) for n, f in enumerate(files)]
    await bot.send_media_group(chat_id, media, reply_parameters=replying)
    return "" if caption is not None else text


async def answer_choice(bot: Bot, query: CallbackQuery, chat_id: int | None, reply: Reply, renderer: Renderer) -> None:
    """Answer a press: an alert when it was refused; else the toast, the edit and the new messages together."""
    if reply.alert is not None:
        await query.answer(renderer.line(reply.alert), show_alert=True)
        return
    calls: list[Awaitable[object]] = [query.answer(renderer.line(reply.toast) if reply.toast else None)]
    if reply.edit is not None:
        calls.append(_edit(query, reply.edit, renderer))
    messages = compose(reply)
    if messages and chat_id is not None:
        calls.append(send_messages(bot, chat_id, messages, renderer))
    await asyncio.gather(*calls)


async def _edit(query: CallbackQuery, edit: Edit, renderer: Renderer) -> None:
    markup = inline_keyboard(edit.choices, renderer.line)
    try:
        if edit.lines is None:
            await query.edit_message_reply_markup(markup)
        else:
            await query.edit_message_text(renderer.text(edit.lines), reply_markup=markup)
    except BadRequest:  # the message is too old to edit, or already reads the same: the answer still goes out
        pass
