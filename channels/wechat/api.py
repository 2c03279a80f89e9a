"""An async client of the Official Account API: access token, custom-send, template-send, media upload/get.

The access token is fetched once and kept until shortly before it expires (the daily quota of token fetches is
small, and every fetch invalidates the previous token a few minutes later), in a ``TokenStore``: the database for
every process of the account (``build_wechat``), or this client's memory; concurrent callers wait for one
fetch. A call refused with an invalid or expired token gets a fresh one and is tried once more. WeChat's
errcodes become the exceptions of ``channels.wechat.errors``.
"""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import TracebackType
from typing import Any, Protocol

import aiohttp

from channels.wechat.errors import TOKEN_ERRORS, WeChatApiError, WeChatUnavailable, error_for
from channels.wechat.settings import WeChatSettings
from services.access_tokens import Fetch, IssuedToken, use_until
from services.clock import Clock


class TokenStore(Protocol):
    """Where the account's access token is kept: one place per account (``services.access_tokens.SharedAccessToken``
    when processes share the database, ``MemoryTokens`` for a client on its own)."""

    async def current(self, fetch: Fetch) -> str:
        """A token to call with; ``fetch`` gets a new one when none is kept or the kept one is about to expire."""
        ...

    async def refused(self, value: str) -> None:
        """WeChat refused ``value``: the next ``current`` gets another token (unless it was replaced already)."""
        ...


class MemoryTokens:
    """The token in this process's memory only."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._token: tuple[str, datetime] | None = None
        self._lock = asyncio.Lock()

    async def current(self, fetch: Fetch) -> str:
        """The kept token until shortly before it expires; concurrent callers wait for one fetch."""
        async with self._lock:
            if self._token is None or self._clock.now() >= self._token[1]:
                now = self._clock.now()
                issued = await fetch()
                self._token = (issued.value, use_until(now, now + issued.lifetime))
            return self._token[0]

    async def refused(self, value: str) -> None:
        """Forget ``value`` if it is still the kept token."""
        async with self._lock:
            if self._token is not None and self._token[0] == value:
                self._token = None


@dataclass(frozen=True)
class Media:
    """A downloaded temporary media file."""

    data: bytes
    content_type: str


class WeChatApi:
    """The account's API client; ``async with WeChatApi(settings, clock) as api: await api.send_text(...)``."""

    def __init__(
        self,
        settings: WeChatSettings,
        clock: Clock,
        *,
        tokens: TokenStore | None = None,
        session: aiohttp.ClientSession | None = None,
        timeout: float = 10.0,
    ) -> None:
        self._settings = settings
        self._base = settings.api_base.rstrip("/")
        self._clock = clock
        self._tokens = tokens or MemoryTokens(clock)
        self._session = session
        self._owns_session = session is None
        self._timeout = aiohttp.ClientTimeout(total=timeout)

    async def __aenter__(self) -> WeChatApi:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the HTTP session this client opened."""
        if self._session is not None and self._owns_session:
            await self._session.close()
        self._session = None

    # -- the access token --
    async def access_token(self) -> str:
        """A valid access token, fetched only when none is kept or the kept one is about to expire."""
        return await self._tokens.current(self._fetch_token)

    async def _fetch_token(self) -> IssuedToken:
        params = {
            "grant_type": "client_credential",
            "appid": self._settings.app_id,
            "secret": self._settings.app_secret,
        }
        payload = _checked(await self._request("GET", "/cgi-bin/token", params=params))
        try:
            value, lifetime = str(payload["access_token"]), int(payload["expires_in"])
        except (KeyError, TypeError, ValueError) as exc:
            raise WeChatUnavailable(-1, f"unexpected token answer: {payload!r}") from exc
        return IssuedToken(value, timedelta(seconds=lifetime))

    # -- messages --
    async def send_text(self, openid: str, text: str) -> None:
        """A customer-service text message (within 48 h of the user's last message)."""
        await self._post_json(
            "/cgi-bin/message/custom/send", {"touser": openid, "msgtype": "text", "text": {"content": text}}
        )

    async def send_image(self, openid: str, media_id: str) -> None:
        """A customer-service image message, the image uploaded first with ``upload_image``."""
        await self._post_json(
            "/cgi-bin/message/custom/send", {"touser": openid, "msgtype": "image", "image": {"media_id": media_id}}
        )

    async def send_menu(self, openid: str, msgmenu: Mapping[str, Any]) -> None:
        """A customer-service ``msgmenu`` message (see ``numbered.render_msgmenu``)."""
        await self._post_json(
            "/cgi-bin/message/custom/send", {"touser": openid, "msgtype": "msgmenu", "msgmenu": dict(msgmenu)}
        )

    async def send_template(
        self, openid: str, template_id: str, data: Mapping[str, str], *, url: str | None = None
    ) -> int:
        """A template message (no 48 h window); returns WeChat's ``msgid``."""
        body: dict[str, Any] = {
            "touser": openid,
            "template_id": template_id,
            "data": {name: {"value": value} for name, value in data.items()},
        }
        if url:
            body["url"] = url
        payload = await self._post_json("/cgi-bin/message/template/send", body)
        return int(payload.get("msgid", 0))

    async def user_language(self, openid: str) -> str | None:
        """The follower's WeChat language (``zh_CN``, ``en``...) from ``user/info``; None when WeChat does not say."""
        payload = await self._call("GET", "/cgi-bin/user/info", params={"openid": openid, "lang": "zh_CN"})
        language = payload.get("language")
        return str(language) if isinstance(language, str) and language else None

    # -- media --
    async def upload_image(self, data: bytes, filename: str = "photo.jpg", content_type: str = "image/jpeg") -> str:
        """Upload a temporary image (kept three days by WeChat); returns its ``media_id``."""

        def form() -> aiohttp.FormData:
            # A new form for each attempt (one is sent once); a stream, as aiohttp wants for megabytes.
            built = aiohttp.FormData()
            built.add_field("media", io.BytesIO(data), filename=filename, content_type=content_type)
            return built

        payload = await self._call("POST", "/cgi-bin/media/upload", params={"type": "image"}, form=form)
        return str(payload["media_id"])

    async def get_media(self, media_id: str) -> Media:
        """Download a temporary media file (a user's photo) by its ``media_id``."""
        payload = await self._call("GET", "/cgi-bin/media/get", params={"media_id": media_id}, raw=True)
        return Media(payload["data"], payload["content_type"])

    # -- plumbing --
    async def _post_json(self, path: str, body: Mapping[str, Any]) -> dict[str, Any]:
        # WeChat shows \\u escapes literally in some messages, so Chinese goes out as UTF-8.
        encoded = json.dumps(body, ensure_ascii=False).encode("utf-8")
        return await self._call("POST", path, body=encoded)

    async def _call(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        body: bytes | None = None,
        form: Callable[[], aiohttp.FormData] | None = None,
        raw: bool = False,
    ) -> dict[str, Any]:
        for attempt in (1, 2):
            token = await self.access_token()
            query = {**(params or {}), "access_token": token}
            data = form() if form is not None else None
            payload = await self._request(method, path, params=query, body=body, data=data, raw=raw)
            if payload.get("errcode", 0) in TOKEN_ERRORS and attempt == 1:
                await self._tokens.refused(token)
                continue
            return _checked(payload)
        raise AssertionError("unreachable")  # pragma: no cover

    async def _request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str],
        body: bytes | None = None,
        data: aiohttp.FormData | None = None,
        raw: bool = False,
    ) -> dict[str, Any]:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        headers = {"Content-Type": "application/json; charset=utf-8"} if body is not None else None
        try:
            async with self._session.request(
                method, f"{self._base}{path}", params=params, data=body if body is not None else data, headers=headers
            ) as resp:
                content = await resp.read()
                content_type = resp.content_type
                status = resp.status
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise WeChatUnavailable(-1, f"{method} {path}: {exc!r}") from exc
        if status != 200:
            raise WeChatUnavailable(-1, f"{method} {path}: HTTP {status}")
        # media/get answers the file itself, or a JSON error (sent as text/plain).
        if raw and content_type not in ("application/json", "text/plain"):
            return {"data": content, "content_type": content_type}
        try:
            payload = json.loads(content)
        except ValueError as exc:
            raise WeChatUnavailable(-1, f"{method} {path}: not JSON") from exc
        if not isinstance(payload, dict):
            raise WeChatUnavailable(-1, f"{method} {path}: not a JSON object")
        return payload


def _checked(payload: dict[str, Any]) -> dict[str, Any]:
    """``payload`` unless it carries a non-zero errcode, which becomes its exception."""
    errcode = payload.get("errcode", 0)
    if errcode:
        raise error_for(int(errcode), str(payload.get("errmsg", "")))
    return payload


__all__ = ["Media", "MemoryTokens", "TokenStore", "WeChatApi", "WeChatApiError"]
