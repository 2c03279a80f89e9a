"""Telegram updates as the conversation service's events: who wrote, where, and what they did.

Nothing here decides anything: a photo becomes its largest size, a file keeps what it claims to be, a venue
becomes a point with its name and address, a command its name and words (a command addressed to another bot
keeps that bot's name, so it reads as unknown, as it always has).
"""

from __future__ import annotations

import logging
from dataclasses import replace

from telegram import Bot, Message, MessageEntity, Update
from telegram.constants import ChatMemberStatus, ChatType
from telegram.error import TelegramError

from channels.telegram import CHANNEL
from services.conversation import (
    ChannelFile,
    Command,
    Edited,
    Event,
    Fetch,
    Location,
    Photo,
    Picked,
    Sender,
    Typed,
    Unsupported,
)
from services.users import Identity

log = logging.getLogger(__name__)


def sender_of(update: Update) -> Sender | None:
    """The person behind ``update`` and the chat they wrote in; None for updates without a person (channel posts)."""
    who, chat = update.effective_user, update.effective_chat
    if who is None:
        return None
    identity = Identity(who.id, who.first_name or "", who.username, who.language_code, channel=CHANNEL)
    if chat is None:
        return Sender(identity, who.id)
    return Sender(identity, chat.id, private=chat.type == ChatType.PRIVATE)


async def with_admin(bot: Bot, update: Update, sender: Sender, event: Event) -> Sender:
    """The sender, told whether they administer the group they wrote in (asked for commands and choices only)."""
    if sender.private or not isinstance(event, (Command, Picked)):
        return sender
    written_as = update.message.sender_chat if update.message is not None else None
    if written_as is not None and written_as.id == sender.place:
        return replace(sender, group_admin=True)  # an anonymous administrator writes as the group itself
    try:
        member = await bot.get_chat_member(sender.place, int(sender.identity.external_id))
    except TelegramError:
        log.warning("could not read the member status of %s in %s", sender.identity.external_id, sender.place)
        return sender
    return replace(sender, group_admin=member.status in (ChatMemberStatus.OWNER, ChatMemberStatus.ADMINISTRATOR))


def event_of(update: Update, bot: Bot) -> Event | None:
    """The event ``update`` carries, or None when it carries nothing the conversation takes."""
    if update.callback_query is not None:
        return Picked(update.callback_query.data or "")
    if update.message is not None:
        return message_event(update.message, bot)
    if update.edited_message is not None:
        return Edited(message_event(update.edited_message, bot))
    return None


def message_event(message: Message, bot: Bot) -> Event:
    """What one message says: a command, a photo or file, a place, a text, or something the flow cannot use."""
    command = command_of(message, bot)
    if command is not None:
        return command
    if message.photo:
        largest = message.photo[-1]
        file = ChannelFile(
            largest.file_id, largest.file_unique_id, "image/jpeg", largest.file_size, largest.width, largest.height
        )
        return Photo(file, fetcher(bot, largest.file_id), False, message.media_group_id, message.caption)
    if message.document is not None:
        doc = message.document
        file = ChannelFile(doc.file_id, doc.file_unique_id, doc.mime_type, doc.file_size)
        return Photo(file, fetcher(bot, doc.file_id), True, message.media_group_id, message.caption)
    if message.location is not None:
        venue = message.venue
        address = ", ".join(part for part in (venue.title, venue.address) if part) if venue else None
        source = "venue" if venue else ("live" if message.location.live_period else "location")
        return Location(message.location.latitude, message.location.longitude, address, source)
    if message.text:
        return Typed(message.text)
    return Unsupported(_kind(message))


def command_of(message: Message, bot: Bot) -> Command | None:
    """``/name@bot args`` at the start of a text, as PTB's CommandHandler reads it; None for anything else."""
    said, entities = message.text, message.entities
    if not said or not entities or entities[0].type != MessageEntity.BOT_COMMAND or entities[0].offset:
        return None
    # The mark's length is the client's word: the command is what follows the slash up to the first blank.
    marked = said[1 : entities[0].length]
    if not marked or marked[0].isspace():
        return None  # a bare slash, or blanks marked as a command: read as text
    name, _, addressed = marked.split(maxsplit=1)[0].partition("@")
    if addressed and addressed.lower() != (bot.username or "").lower():
        name = f"{name}@{addressed}"  # another bot's command: nobody here handles it
    words = said.split()
    return Command(name.lower(), tuple(words[1:]), words[0])


def fetcher(bot: Bot, file_id: str) -> Fetch:
    """Reads the file's bytes from Telegram when called; None if Telegram would not hand them over."""

    async def fetch() -> bytes | None:
        try:
            file = await bot.get_file(file_id)
            return bytes(await file.download_as_bytearray())
        except TelegramError:
            log.warning("could not download file %s; keeping only its file id", file_id, exc_info=True)
            return None

    return fetch


def _kind(message: Message) -> str:
    for kind in ("sticker", "voice", "video", "video_note", "audio", "animation", "contact", "poll", "dice"):
        if getattr(message, kind, None):
            return kind
    return "other"
