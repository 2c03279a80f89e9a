"""The Telegram sender: renders outbox messages as Bot API calls within Telegram's limits and maps its errors.

A message with photos becomes a photo (with caption and buttons) or an album; its text goes in the caption when it
fits in 1,024 UTF-16 units, else in a message of its own after the pictures. A text over 4,096 units is split at
line breaks, the buttons on its last part. A replacement edits the delivered message. Errors: ``RetryAfter`` →
retry later, ``Forbidden`` → the recipient blocked the bot, ``BadRequest`` → rejected ("message is not modified"
counts as done), anything else from Telegram → transient.
"""

from __future__ import annotations

import asyncio
import logging
import warnings
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputMediaPhoto,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)
from telegram import (
    Message as TgMessage,
)
from telegram.error import BadRequest, ChatMigrated, Forbidden, RetryAfter, TelegramError

from channels.telegram import CHANNEL
from channels.telegram.limits import (
    MAX_BUTTONS,
    MAX_CALLBACK_BYTES,
    MAX_CAPTION,
    MAX_TEXT,
    PHOTO_LIMITS,
    cut,
    split_text,
    utf16_length,
)
from services.channels import Outgoing, RecipientBlocked, Rejected, RetryLater, TransientError
from services.context import Services
from services.i18n import Translator
from services.messages import Choice, Message, PhotoRef, render_line, render_lines
from services.pacing import pacer_for
from services.photos import kept_photos, without_metadata

log = logging.getLogger(__name__)

Markup = InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove

#: Local files already uploaded: (bot id, path, mtime, size) → Telegram's file id. The weekly chart goes to
#: thousands of chats; it is uploaded once and then sent by file id, as Telegram intends.
_UPLOADED: dict[tuple[int, str, int, int], str] = {}
_UPLOADED_MAX = 512
#: One upload at a time per file, so concurrent first sends share it.
_UPLOADING: dict[tuple[int, str, int, int], asyncio.Lock] = {}
#: The longest a row waits inline for Telegram's flood control between two of its own calls.
FOLLOW_UP_WAIT_MAX = 60.0


def keyboard(services: Services, choices: tuple[tuple[Choice, ...], ...], t: Translator) -> InlineKeyboardMarkup:
    """Inline buttons for ``choices``; a choice whose token exceeds Telegram's 64-byte callback data is left out.

    Telegram refuses a keyboard of more than 100 buttons ("reply markup is too long"): the lists offered come in
    pages well under it, and should one grow past it anyway, its first 100 buttons go and the rest are left out
    with a warning rather than the whole message refused.
    """
    rows: list[list[InlineKeyboardButton]] = []
    count = over = 0
    for row in choices:
        fitting = [c for c in row if len(c.action.encode()) <= MAX_CALLBACK_BYTES]
        for dropped in (c for c in row if c not in fitting):
            log.warning("choice %r left out: its token is over %d bytes", dropped.action, MAX_CALLBACK_BYTES)
        room = MAX_BUTTONS - count
        over += max(0, len(fitting) - room)
        fitting = fitting[:room]
        if fitting:
            rows.append(
                [InlineKeyboardButton(render_line(services, c.label, t), callback_data=c.action) for c in fitting]
            )
            count += len(fitting)
    if over:
        log.warning("%d choices left out: a keyboard holds at most %d buttons", over, MAX_BUTTONS)
    return InlineKeyboardMarkup(rows)


def location_keyboard(t: Translator) -> ReplyKeyboardMarkup:
    """A reply keyboard whose button shares the phone's location."""
    button = KeyboardButton(t("📍 Send my location"), request_location=True)
    return ReplyKeyboardMarkup([[button]], resize_keyboard=True, one_time_keyboard=True)


def markup_for(services: Services, message: Message, t: Translator) -> Markup | None:
    """The keyboard a message carries: its choices, the location button, or the location button's removal."""
    if message.choices:
        return keyboard(services, message.choices, t)
    if message.ask_location:
        return location_keyboard(t)
    if message.end_location:
        return ReplyKeyboardRemove()
    return None


class TelegramSender:
    """Delivers outbox rows of the Telegram channel through a PTB ``Bot``."""

    channel = CHANNEL

    def __init__(self, bot: Bot, services: Services) -> None:
        self.bot = bot
        self.services = services

    def interval(self, address: str) -> float:
        """One message a second to a person; groups and channels (negative ids) 20 a minute."""
        config = self.services.config.outbox
        group = address.startswith("-") or address.startswith("@")
        return config.group_interval_seconds if group else config.per_chat_interval_seconds

    async def deliver(self, item: Outgoing) -> list[str]:
        """Render ``item`` and send it; returns the ids of the messages Telegram created (or edited)."""
        try:
            return [str(i) for i in await self._deliver(item)]
        except RetryAfter as exc:
            raise RetryLater(_seconds(exc)) from exc
        except Forbidden as exc:
            raise RecipientBlocked(exc.message) from exc
        except BadRequest as exc:
            if "not modified" in exc.message.lower():
                return list(item.replaces or [])  # the message already reads what we wanted
            raise Rejected(exc.message) from exc
        except ChatMigrated as exc:
            raise Rejected(exc.message) from exc
        except TelegramError as exc:
            raise TransientError(exc.message) from exc

    async def _deliver(self, item: Outgoing) -> list[int]:
        message, chat = item.message, _chat(item.address)
        t = Translator(item.locale)
        text = render_lines(self.services, message.lines, t)
        markup = markup_for(self.services, message, t)
        if item.replaces:
            return await self._replace(chat, item.replaces, text, markup)
        files = await self._files(message.photos) if message.photos else []
        if files:
            return await self._photos(chat, files, text, markup)
        if message.location is not None:
            lat, lon = message.location
            sent = await self.bot.send_location(chat, latitude=lat, longitude=lon, reply_markup=markup)
            return [sent.message_id]
        return await self._text(chat, text, markup)

    async def _text(self, chat: int | str, text: str, markup: Markup | None) -> list[int]:
        parts = split_text(text, MAX_TEXT) or [""]
        ids = []
        for index, part in enumerate(parts):
            last = index == len(parts) - 1
            sent = await self.bot.send_message(chat, part, reply_markup=markup if last else None)
            ids.append(sent.message_id)
        return ids

    async def _replace(self, chat: int | str, replaces: list[str], text: str, markup: Markup | None) -> list[int]:
        inline = markup if isinstance(markup, InlineKeyboardMarkup) else None
        shown = split_text(text, MAX_TEXT)[0] if text else "—"
        await self.bot.edit_message_text(shown, chat_id=chat, message_id=int(replaces[0]), reply_markup=inline)
        return [int(replaces[0])]

    async def _photos(self, chat: int | str, files: list[Any], text: str, markup: Markup | None) -> list[int]:
        fits = utf16_length(text) <= MAX_CAPTION
        if len(files) == 1:
            # A text too long for a caption follows the picture; the picture keeps its first line (the title).
            title = cut(text.split("\n", 1)[0], MAX_CAPTION)
            sent = await self._send_photo(chat, files[0], (text if fits else title) or None, markup if fits else None)
            ids = [sent.message_id]
            rest, rest_markup = ("", None) if fits else (text, markup)
        else:
            # An album carries no buttons: with choices, its text goes below it with them.
            album_caption = text if fits and markup is None else None
            media = [
                InputMediaPhoto(media=_upload(f), caption=album_caption if i == 0 else None)
                for i, f in enumerate(files)
            ]
            album = await self.bot.send_media_group(chat, media=media[:10])
            ids = [m.message_id for m in album]
            rest, rest_markup = ("", None) if album_caption is not None or not text else (text, markup)
        if rest:
            # A second call to the same chat within one row: it takes its own slot under the flood limits.
            ids += await self._follow_up(chat, lambda: self._text(chat, rest, rest_markup))
        return ids

    async def _follow_up(self, chat: int | str, send: Callable[[], Awaitable[list[int]]]) -> list[int]:
        """A further call of one row: paced like any other, and waited for (not re-queued) under flood control,
        so the part already delivered is not sent again."""
        address = str(chat)
        await pacer_for(self.services).wait((CHANNEL, address), self.interval(address))
        try:
            return await send()
        except RetryAfter as exc:
            await asyncio.sleep(min(_seconds(exc), FOLLOW_UP_WAIT_MAX))
            return await send()

    async def _send_photo(self, chat: int | str, file: Any, caption: str | None, markup: Markup | None) -> TgMessage:
        key = _upload_key(self.bot, file) if isinstance(file, Path) else None
        if key is None:
            return await self.bot.send_photo(chat, photo=_upload(file), caption=caption, reply_markup=markup)
        known = _UPLOADED.get(key)
        if known is None:
            # Chats are served concurrently: the first send uploads the file while the others wait for its id.
            async with _UPLOADING.setdefault(key, asyncio.Lock()):
                known = _UPLOADED.get(key)
                if known is None:
                    sent = await self.bot.send_photo(chat, photo=_upload(file), caption=caption, reply_markup=markup)
                    self._remember(file, sent)
                    return sent
        return await self.bot.send_photo(chat, photo=known, caption=caption, reply_markup=markup)

    def _remember(self, file: Any, sent: TgMessage) -> None:
        if not isinstance(file, Path) or not sent.photo:
            return
        key = _upload_key(self.bot, file)
        if key is not None:
            if len(_UPLOADED) >= _UPLOADED_MAX:
                _UPLOADED.clear()
            _UPLOADED[key] = sent.photo[-1].file_id

    async def _files(self, refs: tuple[PhotoRef, ...]) -> list[Any]:
        """A Telegram file id or a local path for each picture; a picture with neither is left out."""
        rows = await kept_photos(self.services, [r.photo_id for r in refs if r.photo_id is not None])
        files: list[Any] = []
        for ref in refs:
            if ref.path is not None:
                files.append(Path(ref.path))
                continue
            photo = rows.get(ref.photo_id or 0)
            if photo is None:
                raise Rejected(f"photo {ref.photo_id} is gone")
            if photo.channel == CHANNEL and photo.file_id:
                files.append(photo.file_id)
            elif photo.path is not None:
                # A report's own file: shown as a photo, never as the original with its GPS and device data, and made
                # to fit what Telegram takes as a photo (a citizen's image file can be larger).
                files.append(await asyncio.to_thread(without_metadata, photo.path, PHOTO_LIMITS))
            else:
                # Another channel's picture without a kept copy (sent before copies were kept): the rest of the
                # message still goes.
                log.warning("telegram: photo %s has no copy Telegram can show; left out", ref.photo_id)
        return files


def _chat(address: str) -> int | str:
    """Chat ids are numbers; public channels may be addressed by @username."""
    try:
        return int(address)
    except ValueError:
        return address


def _upload(file: Any) -> Any:
    return file.read_bytes() if isinstance(file, Path) else file


def _upload_key(bot: Bot, path: Path) -> tuple[int, str, int, int] | None:
    try:
        stat = path.stat()
    except OSError:
        return None  # let the send report the missing file
    return (bot.id, str(path), stat.st_mtime_ns, stat.st_size)


def _seconds(exc: RetryAfter) -> float:
    with warnings.catch_warnings():  # PTB 22 warns about the int/timedelta migration on access
        warnings.simplefilter("ignore")
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)
