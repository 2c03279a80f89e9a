"""The channel's settings (``CITYBOT_WECHAT_*``), checked once at start so a bad key fails loudly, not per message."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Protocol

#: Where WeChat's callback is served, fixed by the issue's contract.
CALLBACK_PATH = "/wechat"
AES_KEY_LENGTH = 43


class InvalidWeChatSettings(ValueError):
    """A WeChat setting that cannot work (missing secret, malformed EncodingAESKey...)."""


class _HasWeChatFields(Protocol):
    wechat_app_id: str | None
    wechat_app_secret: str | None
    wechat_token: str | None
    wechat_aes_key: str | None
    wechat_api_base: str
    wechat_listen: str
    wechat_port: int
    wechat_reply_budget: float
    wechat_msgmenu: bool


@dataclass(frozen=True, kw_only=True)
class WeChatSettings:
    """What the callback and the API client need to know about the account."""

    app_id: str
    app_secret: str
    token: str
    aes_key: str | None = None
    api_base: str = "https://api.weixin.qq.com"
    listen: str = "127.0.0.1"
    port: int = 8090
    #: Seconds the callback waits for the handler before answering ``success`` (WeChat gives up at 5 s).
    reply_budget: float = 4.0
    #: Also send choices as a ``msgmenu`` (an account with the customer-service menu message enabled).
    msgmenu: bool = False

    def __post_init__(self) -> None:
        for name in ("app_id", "app_secret", "token"):
            if not getattr(self, name):
                raise InvalidWeChatSettings(f"CITYBOT_WECHAT_{name.upper()} is required when the channel is on")
        if self.aes_key is not None:
            check_aes_key(self.aes_key)
        if not 0 < self.reply_budget < 5:
            raise InvalidWeChatSettings("the reply budget must be between 0 and WeChat's 5 seconds")

    @property
    def safe_mode(self) -> bool:
        """Whether messages are encrypted (an EncodingAESKey is configured)."""
        return self.aes_key is not None

    @classmethod
    def from_settings(cls, settings: _HasWeChatFields) -> WeChatSettings | None:
        """The channel's settings from the process settings, or None when the channel is off (no AppID)."""
        if not settings.wechat_app_id:
            return None
        return cls(
            app_id=settings.wechat_app_id,
            app_secret=settings.wechat_app_secret or "",
            token=settings.wechat_token or "",
            aes_key=settings.wechat_aes_key or None,
            api_base=settings.wechat_api_base.rstrip("/"),
            listen=settings.wechat_listen,
            port=settings.wechat_port,
            reply_budget=settings.wechat_reply_budget,
            msgmenu=bool(getattr(settings, "wechat_msgmenu", False)),
        )


def check_aes_key(aes_key: str) -> None:
    """Raise ``InvalidWeChatSettings`` unless ``aes_key`` is 43 base64 characters naming a 32-byte AES key."""
    if len(aes_key) != AES_KEY_LENGTH:
        raise InvalidWeChatSettings(f"CITYBOT_WECHAT_AES_KEY must be {AES_KEY_LENGTH} characters, not {len(aes_key)}")
    try:
        key = base64.b64decode(aes_key + "=", validate=True)
    except binascii.Error as exc:
        raise InvalidWeChatSettings("CITYBOT_WECHAT_AES_KEY is not base64") from exc
    if len(key) != 32:
        raise InvalidWeChatSettings("CITYBOT_WECHAT_AES_KEY does not decode to a 32-byte key")
