"""The WeChat sender: outbox notices as customer-service messages, a template outside the 48-hour window.

A notice is rendered in the recipient's language at delivery: its pictures first (uploaded, then sent as images),
then its text (split at WeChat's 2048 bytes) with any choices numbered below it, then a ``msgmenu`` where the
account sends them. The list is remembered (``services.offered``) so the person's "2" picks from it.

WeChat's answers become the outbox's outcomes: outside the window (45015) a template message goes out when the
city configured one for the notice's kind, else the row is held until the person writes (``AwaitingContact``);
over the window's allowance (45047) it is held too; an unfollowed account (43004) is blocked; an unreachable
WeChat is retried. Parts already delivered are not sent again when the rest of the row is retried.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from pathlib import Path

from channels.wechat import CHANNEL
from channels.wechat.api import WeChatApi
from channels.wechat.errors import (
    InvalidCredential,
    OutsideWindow,
    TooManyMessages,
    UserUnsubscribed,
    WeChatApiError,
    WeChatUnavailable,
)
from channels.wechat.render import Rendered, render_message
from channels.wechat.replies import split_text
from services import offered as offered_choices
from services.channels import AwaitingContact, Outgoing, RecipientBlocked, Rejected, TransientError
from services.context import Services
from services.i18n import N_, Translator
from services.messages import PhotoRef
from services.photo_fit import PhotoLimits
from services.photos import kept_photos, without_metadata

log = logging.getLogger(__name__)


TEMPLATE_REMARK = N_("Write to this account to see the details and answer.")
#: WeChat keeps uploaded temporary media three days; a local file's upload is reused for less than that.
UPLOAD_REUSE = timedelta(days=2)
#: A temporary image upload (``/cgi-bin/media/upload?type=image``) holds at most 10 MB; WeChat sets no bound on
#: its dimensions. A larger upload is refused with 40006 ("invalid meida size").
PHOTO_LIMITS = PhotoLimits(max_bytes=10 * 1024 * 1024)
#: A template field's value is kept short (WeChat cuts long ones).
TEMPLATE_FIELD_CHARS = 180

Part = Callable[[], Awaitable[None]]


class WeChatSender:
    """Delivers outbox rows of the WeChat channel through the account's API."""

    channel = CHANNEL

    def __init__(self, api: WeChatApi, services: Services, *, msgmenu: bool = False) -> None:
        self.api = api
        self.services = services
        self.msgmenu = msgmenu
        #: Row id → parts already delivered, so a retried row does not repeat them.
        self._progress: dict[int, int] = {}
        #: A local file (path, mtime, size) → (media_id, uploaded at): the weekly chart is uploaded once.
        self._uploaded: dict[tuple[str, int, int], tuple[str, datetime]] = {}

    def interval(self, address: str) -> float:
        """The least time between two messages to one follower."""
        return float(self.services.config.outbox.per_chat_interval_seconds)

    async def deliver(self, item: Outgoing) -> list[str]:
        """Render ``item`` and send it; returns one id per part sent (WeChat gives custom-send messages none)."""
        if item.replaces is not None:
            # A replacement of an earlier card (its status changed, its choices went): WeChat cannot edit a message
            # it has sent, and a new message per case step would only spend the person's 48-hour allowance. The
            # earlier list stays answerable, and the service refuses a number that no longer holds.
            return list(item.replaces)
        t = Translator(item.locale)
        rendered = render_message(self.services, item.message, t, msgmenu=self.msgmenu)
        parts = await self._parts(item.address, rendered.photos, rendered.texts, rendered.menu)
        if not parts:
            raise Rejected("nothing in this notice can be shown on WeChat")
        done = self._progress.get(item.row_id, 0)
        try:
            for index in range(done, len(parts)):
                await parts[index]()
                self._progress[item.row_id] = index + 1
        except OutsideWindow as exc:
            if self._progress.get(item.row_id, 0) == 0:
                template = self.services.config.wechat.templates.get(item.kind)
                if template:
                    sent = await self._template(item, template, rendered.texts, t)
                    await self._offered(item, rendered, t)
                    return [sent]
            raise AwaitingContact(f"outside WeChat's 48-hour window ({exc.errcode})") from exc
        except TooManyMessages as exc:
            raise AwaitingContact(f"WeChat's allowance for this window is used up ({exc.errcode})") from exc
        except UserUnsubscribed as exc:
            self._progress.pop(item.row_id, None)
            raise RecipientBlocked(f"the follower unfollowed the account ({exc.errcode})") from exc
        except (WeChatUnavailable, InvalidCredential) as exc:
            raise TransientError(str(exc)) from exc
        except WeChatApiError as exc:
            self._progress.pop(item.row_id, None)
            raise Rejected(str(exc)) from exc
        self._progress.pop(item.row_id, None)
        await self._offered(item, rendered, t)
        return [f"{CHANNEL}:{item.row_id}:{n}" for n in range(1, len(parts) + 1)]

    async def _offered(self, item: Outgoing, rendered: Rendered, t: Translator) -> None:
        """The notice's list is what the person's next number answers."""
        if rendered.items is not None:
            await offered_choices.remember(
                self.services, CHANNEL, item.address, rendered.offered(), locale=t.locale, open=rendered.open
            )

    async def _parts(
        self, openid: str, photos: tuple[PhotoRef, ...], texts: list[str], menu: dict[str, object] | None
    ) -> list[Part]:
        parts: list[Part] = []
        for picture in await self._pictures(photos):
            parts.append(self._image_part(openid, picture))
        for text in texts:
            for piece in split_text(text):
                parts.append(self._text_part(openid, piece))
        if menu is not None:
            parts.append(lambda: self.api.send_menu(openid, menu))
        return parts

    def _text_part(self, openid: str, text: str) -> Part:
        return lambda: self.api.send_text(openid, text)

    def _image_part(self, openid: str, picture: Path | str) -> Part:
        async def send() -> None:
            media_id = picture if isinstance(picture, str) else await self._upload(picture)
            await self.api.send_image(openid, media_id)

        return send

    async def _pictures(self, refs: tuple[PhotoRef, ...]) -> list[Path | str]:
        """Each picture as a local file to upload (a kept copy, the weekly chart) or a WeChat media_id to reuse."""
        kept = await kept_photos(self.services, [r.photo_id for r in refs if r.photo_id is not None])
        pictures: list[Path | str] = []
        for ref in refs:
            if ref.path is not None:
                pictures.append(Path(ref.path))
                continue
            photo = kept.get(ref.photo_id or 0)
            if photo is not None and photo.path is not None:
                pictures.append(photo.path)
            elif photo is not None and photo.channel == CHANNEL and photo.file_id:
                pictures.append(photo.file_id)  # sent to us on WeChat: its media_id serves for three days
            else:
                # Another channel's picture without a kept copy (an after-photo taken on Telegram): the rest of
                # the notice still goes.
                log.warning("wechat: photo %s has no copy WeChat can be sent; left out", ref.photo_id)
        return pictures

    async def _upload(self, path: Path) -> str:
        try:
            stat = await asyncio.to_thread(path.stat)
        except OSError as exc:
            raise Rejected(f"the picture {path.name} is gone") from exc
        key, now = (str(path), stat.st_mtime_ns, stat.st_size), self.services.clock.now()
        known = self._uploaded.get(key)
        if known is not None and now - known[1] < UPLOAD_REUSE:
            return known[0]
        data = await asyncio.to_thread(without_metadata, path, PHOTO_LIMITS)
        media_id = await self.api.upload_image(data, "photo.jpg", "image/jpeg")
        if len(self._uploaded) > 256:
            self._uploaded.clear()
        self._uploaded[key] = (media_id, now)
        return media_id

    async def _template(self, item: Outgoing, template: str, texts: list[str], t: Translator) -> str:
        """The notice as the configured template message (no 48-hour window applies)."""
        lines = "\n".join(texts).splitlines() or [""]
        data = {
            "first": _cut(lines[0]),
            "content": _cut("\n".join(line for line in lines[1:] if line.strip())),
            "remark": t(TEMPLATE_REMARK),
        }
        url = self.services.config.wechat.template_url or None
        try:
            msgid = await self.api.send_template(item.address, template, data, url=url)
        except UserUnsubscribed as exc:
            raise RecipientBlocked(f"the follower unfollowed the account ({exc.errcode})") from exc
        except (WeChatUnavailable, InvalidCredential) as exc:
            raise TransientError(str(exc)) from exc
        except WeChatApiError as exc:
            raise AwaitingContact(f"the template message was refused ({exc.errcode}); waiting for the person") from exc
        return f"{CHANNEL}:template:{msgid}"


def _cut(text: str) -> str:
    return text if len(text) <= TEMPLATE_FIELD_CHARS else text[: TEMPLATE_FIELD_CHARS - 1] + "…"
