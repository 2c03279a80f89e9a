"""The callback's handler: WeChat events in, the conversation service's answer out as texts.

Each event becomes one of the service's plain events for the identity ("wechat", OpenID): a typed text, a
command (``/my``, ``绑定 <code>``, the menu's REPORT/MY/HELP), a photo downloaded at once (temporary media
expire), a place (already WGS-84), a voice message's transcript, or the answer to the numbered list the person
was shown last, which becomes the picked choice's token: the service re-authorises it like a button press. The
lists are kept in the database (``services.offered``), so the answer means the same in any process. Every event
from a person releases the notices held for them until they wrote again (WeChat's 48-hour window).
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable, Sequence

from channels.wechat import CHANNEL
from channels.wechat import events as wx
from channels.wechat.api import WeChatApi
from channels.wechat.errors import WeChatApiError
from channels.wechat.numbered import NumberedChoice, not_understood, parse_choice
from channels.wechat.render import Rendered, render_reply
from services import offered as offered_choices
from services.context import Services
from services.conversation import (
    ChannelFile,
    Command,
    Conversation,
    Event,
    Location,
    Photo,
    Picked,
    Reply,
    Sender,
    Typed,
    Unsupported,
)
from services.delivery import resume_held
from services.i18n import N_, Translator
from services.users import Identity, account_gone

log = logging.getLogger(__name__)


#: The account menu's CLICK keys and the commands they stand for.
MENU_COMMANDS = {"REPORT": "report", "MY": "my", "HELP": "help"}
#: ``绑定 7KQ2MX9A``, ``绑定7KQ2MX9A``, ``bind 7KQ2-MX9A`` (a staff invite's short code), or the word alone.
_BIND = re.compile(
    r"^\s*(?:绑定|bind)\s*$|^\s*(?:绑定\s*[:：]?|bind\s*[:：]|bind\s)\s*([A-Za-z0-9-]{4,24})\s*$", re.IGNORECASE
)
#: Something meant as a list number ("7", "#7", "第7项"), even when no item has it.
_NUMBER_LIKE = re.compile(r"^\s*(?:#|no\.?|第)?\s*[\d０-９]{1,3}\s*(?:项|个|号|条)?\s*[.。、)）]?\s*$", re.IGNORECASE)
PHOTO_LOST = N_("Sorry, I could not get that photo from WeChat. Please send it again.")
#: How many followers' languages a process remembers.
_LANGUAGES_KEPT = 10_000

Deferred = Callable[[], Awaitable[None]]


def bind_code(text: str) -> str | None:
    """The invite code in ``绑定 <code>`` / ``bind <code>`` ("" for the word alone); None for any other text."""
    found = _BIND.match(text)
    if found is None:
        return None
    return found.group(1) or ""


class WeChatAdapter:
    """``await adapter(event)`` → the texts to answer (and a msgmenu to send after them)."""

    def __init__(self, services: Services, api: WeChatApi, conversation: Conversation, *, msgmenu: bool = False):
        self.services = services
        self.api = api
        self.conversation = conversation
        self.msgmenu = msgmenu
        self._languages: dict[str, str | None] = {}
        self._later: set[asyncio.Task[None]] = set()

    async def __call__(self, event: wx.InboundEvent) -> Sequence[str | Deferred]:
        """Handle one event from WeChat; raising makes the callback answer 500, so WeChat posts it again."""
        if isinstance(event, wx.Unsubscribe):
            await account_gone(self.services, CHANNEL, event.user)
            await offered_choices.forget(self.services, CHANNEL, event.user)
            return []
        sender = Sender(await self._identity(event.user), event.user, private=True)
        await resume_held(self.services, CHANNEL, event.user)
        translated = await self._event(event)
        if isinstance(translated, str):
            return [translated]
        reply = await self.conversation.handle(sender, translated, receipt=event.dedupe_key)
        self._start_later(reply)
        return await self._answer(event.user, reply)

    async def close(self) -> None:
        """Wait for work the replies left for later (evidence copies)."""
        if self._later:
            await asyncio.gather(*self._later, return_exceptions=True)

    # -- the event --
    async def _event(self, event: wx.InboundEvent) -> Event | str:
        """The service's event, or the text to answer at once (an answer that picks nothing, a lost photo)."""
        if isinstance(event, wx.Text):
            return await self._text(event.user, event.text, event.menu_id)
        if isinstance(event, wx.Voice):
            if event.recognition:
                return await self._text(event.user, event.recognition, None)
            return Unsupported("voice")
        if isinstance(event, wx.Image):
            return await self._photo(event)
        if isinstance(event, wx.Location):
            return Location(event.lat, event.lon, event.label, "location")
        if isinstance(event, wx.Subscribe):
            return Command("start", (), "/start")
        if isinstance(event, wx.MenuClick):
            name = MENU_COMMANDS.get(event.key.upper(), "help")
            return Command(name, (), f"/{name}")
        return Command("help", (), "/help")

    async def _text(self, user: str, said: str, menu_id: str | None) -> Event | str:
        text = said.strip()
        code = bind_code(text)
        if code is not None:
            return Command("bind", (code,) if code else (), "bind")
        if text.startswith("/") and len(text) > 1:
            words = text.split()
            return Command(words[0][1:].lower(), tuple(words[1:]), words[0])
        shown = await offered_choices.offered(self.services, CHANNEL, user)
        if shown is not None:
            choices = [NumberedChoice(i.label, i.action, i.aliases) for i in shown.items]
            token = parse_choice(text, choices, menu_id=menu_id)
            if token is not None:
                return Picked(token)
        if menu_id and not menu_id.isdigit():
            return Picked(menu_id)  # a click on an older menu: its id is the token, which the service checks
        if shown is not None and (not shown.open or _NUMBER_LIKE.match(text)):
            return not_understood(len(shown.items), Translator(shown.locale))
        return Typed(said)

    async def _photo(self, event: wx.Image) -> Event | str:
        try:
            media = await self.api.get_media(event.media_id)
        except WeChatApiError as exc:
            log.warning("wechat: could not download photo %s: %s", event.media_id, exc)
            return Translator(await self._locale(event.user))(PHOTO_LOST)
        data = media.data

        async def fetch() -> bytes | None:
            return data

        file = ChannelFile(event.media_id, event.media_id, media.content_type, len(data))
        # A photo (WeChat strips its EXIF): the service answers, then keeps its copy from the bytes already here;
        # the media_id serves WeChat sends for the three days WeChat keeps it.
        return Photo(file, fetch)

    # -- the person --
    async def _identity(self, openid: str) -> Identity:
        return Identity(openid, "", None, await self._language(openid), channel=CHANNEL)

    async def _language(self, openid: str) -> str | None:
        """The follower's WeChat language, asked once per process (None: unknown, the stored one stays)."""
        if openid in self._languages:
            return self._languages[openid]
        try:
            language = await self.api.user_language(openid)
        except WeChatApiError as exc:
            log.info("wechat: no language for %s: %s", openid, exc)
            return None
        if len(self._languages) >= _LANGUAGES_KEPT:
            self._languages.clear()
        self._languages[openid] = language
        return language

    async def _locale(self, openid: str) -> str:
        language = await self._language(openid)
        return "en" if language and not language.lower().startswith("zh") else "zh_CN"

    # -- the answer --
    async def _answer(self, user: str, reply: Reply) -> list[str | Deferred]:
        rendered = render_reply(self.services, reply, msgmenu=self.msgmenu)
        await self._keep_offered(user, reply, rendered)
        # One text where it fits: the passive reply is the one answer WeChat always shows (longer ones are split).
        out: list[str | Deferred] = ["\n\n".join(rendered.texts)] if rendered.texts else []
        menu = rendered.menu
        if menu is not None:

            async def send_menu() -> None:
                await self.api.send_menu(user, menu)

            out.append(send_menu)
        return out

    async def _keep_offered(self, user: str, reply: Reply, rendered: Rendered) -> None:
        """Remember the list just shown; a reply without one makes older numbers mean nothing. A refusal keeps it."""
        if rendered.items is not None:
            await offered_choices.remember(
                self.services, CHANNEL, user, rendered.offered(), locale=reply.locale, open=rendered.open
            )
        elif reply.alert is None and rendered.texts:
            await offered_choices.forget(self.services, CHANNEL, user)

    def _start_later(self, reply: Reply) -> None:
        for job in reply.later:
            task = asyncio.ensure_future(job())
            self._later.add(task)
            task.add_done_callback(self._later.discard)
