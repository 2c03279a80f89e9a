"""Plain inbound events: what a WeChat message means, without XML, ready for the conversation service.

Every event carries the sender's OpenID (``user``), the account it was sent to, when WeChat says it was created,
and ``dedupe_key``: the identity WeChat's retries share (``MsgId`` for messages, sender + time + event for events).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, kw_only=True)
class WeChatEvent:
    """What every inbound event has."""

    user: str
    account: str
    created: datetime
    dedupe_key: str


@dataclass(frozen=True, kw_only=True)
class Text(WeChatEvent):
    """A typed message; ``menu_id`` is set when the user clicked an item of a ``msgmenu`` message."""

    text: str
    menu_id: str | None = None


@dataclass(frozen=True, kw_only=True)
class Image(WeChatEvent):
    """A photo: ``media_id`` downloads it through ``media/get`` (for three days), ``pic_url`` is WeChat's copy."""

    media_id: str
    pic_url: str | None = None


@dataclass(frozen=True, kw_only=True)
class Location(WeChatEvent):
    """A shared location, already converted from WeChat's GCJ-02 to WGS-84."""

    lat: float
    lon: float
    label: str | None = None
    scale: int | None = None


@dataclass(frozen=True, kw_only=True)
class Voice(WeChatEvent):
    """A voice message; ``recognition`` is WeChat's transcript when the account has speech recognition on."""

    media_id: str
    recognition: str | None = None


@dataclass(frozen=True, kw_only=True)
class Subscribe(WeChatEvent):
    """The user followed the account (``scene`` is the QR code's scene when they scanned one)."""

    scene: str | None = None


@dataclass(frozen=True, kw_only=True)
class Unsubscribe(WeChatEvent):
    """The user unfollowed the account: nothing more can reach them."""


@dataclass(frozen=True, kw_only=True)
class MenuClick(WeChatEvent):
    """A click on a ``CLICK`` item of the account's menu."""

    key: str


@dataclass(frozen=True, kw_only=True)
class Other(WeChatEvent):
    """Anything else (video, link, a LOCATION report...): ``kind`` says what, e.g. ``video``, ``event:view``."""

    kind: str


InboundEvent = Text | Image | Location | Voice | Subscribe | Unsubscribe | MenuClick | Other
