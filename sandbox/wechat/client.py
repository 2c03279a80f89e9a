"""Drive the WeChat sandbox as people would, over HTTP: ``result = await wx.send_text(user, "你好")``."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sandbox.control_client import ControlClient, ControlError
from sandbox.wechat.state import JSON, UNAVAILABLE


class WeChatSandboxError(ControlError):
    """The control API refused a request."""


@dataclass(frozen=True)
class WxUser:
    """A WeChat user of the sandbox."""

    openid: str
    nickname: str
    language: str


@dataclass(frozen=True)
class Received:
    """One thing a user was shown: a passive reply, a customer-service or template message, or WeChat's notice."""

    seq: int
    via: str  # passive | custom | template | notice
    msgtype: str  # text | image | msgmenu | template | notice
    text: str | None = None
    media_id: str | None = None
    menu: JSON | None = None
    template_id: str | None = None
    data: JSON = field(default_factory=dict)

    @classmethod
    def from_json(cls, entry: JSON) -> Received:
        """From the control API's entry."""
        known = {name: entry[name] for name in cls.__dataclass_fields__ if name in entry and entry[name] is not None}
        return cls(**known)

    @property
    def menu_items(self) -> list[tuple[str, str]]:
        """A msgmenu message's items as (id, content)."""
        return [(str(item["id"]), str(item["content"])) for item in (self.menu or {}).get("list", [])]


@dataclass(frozen=True)
class PostResult:
    """One post to the bot's callback: the tries, the outcome and what the user was shown at once."""

    id: int
    outcome: str  # passive reply | success | no answer | HTTP 403 | bad reply: ...
    attempts: list[JSON]
    shown: list[Received]
    msg_id: int | None = None
    media_id: str | None = None

    @classmethod
    def from_json(cls, data: JSON) -> PostResult:
        """From the control API's post record."""
        return cls(
            id=int(data["id"]),
            outcome=str(data["outcome"]),
            attempts=list(data["attempts"]),
            shown=[Received.from_json({"seq": 0, **entry}) for entry in data["shown"]],
            msg_id=data.get("msg_id"),
            media_id=data.get("media_id"),
        )

    @property
    def reply(self) -> str | None:
        """The passive reply's text, if the callback gave one."""
        return next((item.text for item in self.shown if item.via == "passive"), None)

    @property
    def unavailable(self) -> bool:
        """Whether the user was shown WeChat's "service unavailable" notice."""
        return any(item.text == UNAVAILABLE for item in self.shown)


class WeChatSandboxClient(ControlClient):
    """User-side and control access to a running WeChat sandbox."""

    prefix = "/sandbox/wechat/api"
    error = WeChatSandboxError

    # -- the account and people --
    async def configure_account(self, **fields: Any) -> JSON:
        """Set app_id, app_secret, token, aes_key (None: plaintext mode), callback_url, original_id."""
        return await self._call("POST", "/account", fields)

    async def create_user(
        self, nickname: str = "User", language: str = "zh_CN", openid: str | None = None, subscribed: bool = True
    ) -> WxUser:
        """A new user (following the account unless ``subscribed`` is False)."""
        data = await self._call(
            "POST", "/users", {"nickname": nickname, "language": language, "openid": openid, "subscribed": subscribed}
        )
        return WxUser(data["openid"], data["nickname"], data["language"])

    # -- acting as a user: each returns once WeChat is done with the post --
    async def _act(self, user: WxUser, action: str, fields: JSON | None = None) -> PostResult:
        return PostResult.from_json(await self._call("POST", f"/users/{user.openid}/{action}", fields or {}))

    async def send_text(self, user: WxUser, text: str) -> PostResult:
        """The user types ``text``."""
        return await self._act(user, "text", {"text": text})

    async def choose(self, user: WxUser, menu: Received, content: str) -> PostResult:
        """The user clicks the item of a msgmenu message whose text is ``content``."""
        item = next((item for item in menu.menu_items if item[1] == content), None)
        if item is None:
            raise ValueError(f"no item {content!r} in {menu.menu_items}")
        return await self._act(user, "menu", {"id": item[0], "content": item[1]})

    async def send_image(self, user: WxUser, data: bytes | None = None, content_type: str = "image/jpeg") -> PostResult:
        """The user sends a photo (a generated JPEG unless ``data`` is given); ``result.media_id`` names it."""
        fields: JSON = {"content_type": content_type}
        if data is not None:
            fields["data_base64"] = base64.b64encode(data).decode()
        return await self._act(user, "image", fields)

    async def send_location(
        self, user: WxUser, lat: float, lon: float, label: str | None = None, scale: int = 15
    ) -> PostResult:
        """The user shares a location; ``lat``/``lon`` are GCJ-02, as WeChat's map gives them."""
        return await self._act(user, "location", {"lat": lat, "lon": lon, "label": label, "scale": scale})

    async def send_voice(self, user: WxUser, recognition: str | None = None) -> PostResult:
        """The user sends a voice message, with WeChat's transcript when ``recognition`` is given."""
        return await self._act(user, "voice", {"recognition": recognition})

    async def send_video(self, user: WxUser) -> PostResult:
        """The user sends a short video."""
        return await self._act(user, "video")

    async def subscribe(self, user: WxUser, scene: str | None = None) -> PostResult:
        """The user follows the account (by scanning a QR code with ``scene``, if given)."""
        return await self._act(user, "subscribe", {"scene": scene})

    async def unsubscribe(self, user: WxUser) -> PostResult:
        """The user unfollows the account."""
        return await self._act(user, "unsubscribe")

    async def click(self, user: WxUser, key: str) -> PostResult:
        """The user clicks the account menu's CLICK item ``key``."""
        return await self._act(user, "click", {"key": key})

    async def replay(self, post: PostResult) -> PostResult:
        """WeChat posts ``post`` again, same query and body (its first answer was lost)."""
        return PostResult.from_json(await self._call("POST", f"/posts/{post.id}/replay"))

    # -- what users received --
    async def received(self, user: WxUser, after: int = 0) -> list[Received]:
        """Everything the user was shown, in order."""
        entries = await self._call("GET", f"/users/{user.openid}/received", params={"after": after})
        return [Received.from_json(entry) for entry in entries]

    async def conversation(self, user: WxUser, after: int = 0) -> list[JSON]:
        """Both sides of the user's chat in order: what they sent (``from_user``) and what they were shown."""
        return list(await self._call("GET", f"/users/{user.openid}/conversation", params={"after": after}))

    async def texts(self, user: WxUser) -> list[str]:
        """The texts the user was shown, in order."""
        return [item.text for item in await self.received(user) if item.text is not None]

    async def wait_for(
        self,
        user: WxUser,
        wanted: str | Callable[[Received], bool],
        *,
        after: int = 0,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> Received:
        """The first thing shown to the user after ``after`` that contains ``wanted`` (or satisfies it)."""

        def matches(item: Received) -> bool:
            return wanted(item) if callable(wanted) else wanted in (item.text or "")

        async with asyncio.timeout(timeout):
            while True:
                found = [item for item in await self.received(user, after) if matches(item)]
                if found:
                    return found[0]
                await asyncio.sleep(0.02)

    async def posts(self, user: WxUser | None = None) -> list[JSON]:
        """Every post to the callback (of ``user``), with tries and outcome."""
        return list(await self._call("GET", "/posts", params={"user": user.openid if user else None}))

    async def media(self, media_id: str) -> bytes:
        """A media file's bytes (a user's photo or the bot's upload)."""
        return await self._bytes(f"/media/{media_id}", "no such media")

    # -- the world --
    async def advance_clock(self, delta: timedelta) -> None:
        """Move the sandbox's clock forward (48-hour windows, tokens and media age with it)."""
        await self._call("POST", "/clock", {"seconds": delta.total_seconds()})

    async def invalidate_tokens(self) -> int:
        """Make every access token issued so far invalid."""
        return int((await self._call("POST", "/tokens/invalidate"))["invalidated"])

    async def token_fetches(self) -> int:
        """How many access tokens have been fetched."""
        return int((await self._call("GET", "/state"))["token_fetches"])

    async def set_limits(
        self, *, reply_timeout: float | None = None, tries: int | None = None, window_cap: int | None = None
    ) -> JSON:
        """WeChat's answer timeout and tries, and the customer-service messages allowed per window."""
        fields = {"reply_timeout": reply_timeout, "tries": tries, "window_cap": window_cap}
        return await self._call("POST", "/limits", {key: value for key, value in fields.items() if value is not None})

    async def reset(self) -> None:
        """Forget users, tokens, media and posts."""
        await self._call("POST", "/reset")
