"""Outbox delivery inside ``citybot run`` (a repeating job) and the Telegram adapter the sender calls through.

The adapter turns an outbox row's JSON parameters into a typed PTB call (``send_photo``, ``edit_message_text``...)
and PTB's errors into the sender's outcomes: ``RetryAfter`` → wait, ``Forbidden`` → blocked, ``BadRequest`` →
rejected ("message is not modified" counts as done), anything else from Telegram → retry later.
A parameter ``{"path": "/file.png"}`` in place of a file id uploads that local file.
"""

from __future__ import annotations

import logging
import re
import warnings
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

from telegram import (
    Bot,
    ForceReply,
    InlineKeyboardMarkup,
    InputMediaDocument,
    InputMediaPhoto,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)
from telegram.error import BadRequest, ChatMigrated, Forbidden, RetryAfter, TelegramError
from telegram.ext import Application, ContextTypes

from services.context import Services
from services.delivery import (
    RecipientBlocked,
    Rejected,
    RetryLater,
    TransientError,
    deliver_due,
    register_adapter,
)

log = logging.getLogger(__name__)

_RUNNING = "outbox_pass_running"
_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")


#: Local files already uploaded: (bot id, path, mtime, size) → Telegram's file id. The weekly chart goes to
#: thousands of chats; it is uploaded once and then sent by file id, as Telegram intends.
_UPLOADED: dict[tuple[int, str, int, int], str] = {}
_UPLOADED_MAX = 512


def _upload_key(bot: Bot, value: Any) -> tuple[int, str, int, int] | None:
    if not (isinstance(value, dict) and "path" in value):
        return None
    try:
        stat = Path(value["path"]).stat()
    except OSError:
        return None  # let the send report the missing file
    return (bot.id, str(value["path"]), stat.st_mtime_ns, stat.st_size)


def _sent_file_id(result: Any, key: str) -> str | None:
    if not isinstance(result, Message):
        return None
    if key == "photo" and result.photo:
        return result.photo[-1].file_id
    if key == "document" and result.document is not None:
        return result.document.file_id
    return None


class TelegramBotApi:
    """Makes outbox calls through a PTB ``Bot``."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    async def call(self, method: str, params: dict[str, Any]) -> list[int]:
        """Call ``method`` with ``params``; returns the produced message ids; raises delivery errors."""
        file_key = next((k for k in ("photo", "document") if k in params), None)
        upload = _upload_key(self.bot, params[file_key]) if file_key else None
        if upload is not None and upload in _UPLOADED:
            params = {**params, file_key: _UPLOADED[upload]}  # type: ignore[dict-item]
            upload = None
        result = await self._call(method, params)
        if upload is not None and file_key is not None and (file_id := _sent_file_id(result, file_key)):
            if len(_UPLOADED) >= _UPLOADED_MAX:
                _UPLOADED.clear()
            _UPLOADED[upload] = file_id
        return _message_ids(result)

    async def _call(self, method: str, params: dict[str, Any]) -> Any:
        typed = getattr(self.bot, _CAMEL.sub("_", method).lower(), None)
        try:
            if typed is None:  # a method without a typed wrapper: send the JSON as it is
                result = await self.bot.do_api_request(method, api_kwargs=params)
            else:
                result = await typed(**_typed_params(params))
        except RetryAfter as exc:
            raise RetryLater(_seconds(exc)) from exc
        except Forbidden as exc:
            raise RecipientBlocked(exc.message) from exc
        except BadRequest as exc:
            if "not modified" in exc.message.lower():
                return []  # the edit is already what we wanted
            raise Rejected(exc.message) from exc
        except ChatMigrated as exc:
            raise Rejected(exc.message) from exc
        except TelegramError as exc:
            raise TransientError(exc.message) from exc
        return result


def _seconds(exc: RetryAfter) -> float:
    with warnings.catch_warnings():  # PTB 22 warns about the int/timedelta migration on access
        warnings.simplefilter("ignore")
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def _file(value: Any) -> Any:
    return Path(value["path"]) if isinstance(value, dict) and "path" in value else value


def _markup(value: dict[str, Any]) -> Any:
    if "inline_keyboard" in value:
        return InlineKeyboardMarkup.de_json(value, None)
    if "keyboard" in value:
        return ReplyKeyboardMarkup.de_json(value, None)
    if value.get("remove_keyboard"):
        return ReplyKeyboardRemove(selective=value.get("selective"))
    if value.get("force_reply"):
        return ForceReply(selective=value.get("selective"))
    return value


def _media(items: Sequence[dict[str, Any]]) -> list[InputMediaPhoto | InputMediaDocument]:
    media: list[InputMediaPhoto | InputMediaDocument] = []
    for item in items:
        kind = InputMediaDocument if item.get("type") == "document" else InputMediaPhoto
        extra = {k: item[k] for k in ("caption", "parse_mode") if k in item}
        media.append(kind(media=_file(item["media"]), **extra))
    return media


def _typed_params(params: dict[str, Any]) -> dict[str, Any]:
    typed = dict(params)
    for key in ("photo", "document"):
        if key in typed:
            typed[key] = _file(typed[key])
    if isinstance(typed.get("reply_markup"), dict):
        typed["reply_markup"] = _markup(typed["reply_markup"])
    if "media" in typed:
        typed["media"] = _media(typed["media"])
    return typed


def _message_ids(result: Any) -> list[int]:
    if isinstance(result, Message):
        return [result.message_id]
    if isinstance(result, (list, tuple)):
        return [m.message_id if isinstance(m, Message) else int(m["message_id"]) for m in result]
    if isinstance(result, dict) and "message_id" in result:
        return [int(result["message_id"])]
    return []


def _adapt(bot: Any) -> TelegramBotApi | None:
    return TelegramBotApi(bot) if isinstance(bot, Bot) else None


register_adapter(_adapt)


# ---------------------------------------------------------------- the repeating job
def schedule(app: Application, services: Services) -> None:  # type: ignore[type-arg]
    """Deliver the outbox every ``outbox.interval_seconds``."""
    assert app.job_queue is not None, "install python-telegram-bot[job-queue]"
    interval = services.config.outbox.interval_seconds
    app.job_queue.run_repeating(_tick, interval=interval, first=interval, name="outbox")


async def _tick(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Start a delivery pass in the background unless one is still running (a pass can outlast the interval)."""
    services: Services = context.application.bot_data["services"]
    if services.extras.get(_RUNNING):
        return
    services.extras[_RUNNING] = True
    context.application.create_task(_pass(services, context.bot), name="outbox-pass")


async def _pass(services: Services, bot: Bot) -> None:
    try:
        await deliver_due(services, bot)
    except Exception:
        log.exception("outbox delivery pass failed; the next pass retries")
    finally:
        services.extras[_RUNNING] = False
