"""What both sandboxes' clients share: one HTTP session to a control API, opened on first use, and its errors."""

from __future__ import annotations

from types import TracebackType
from typing import Any, ClassVar, Self

import aiohttp

JSON = dict[str, Any]


class ControlError(Exception):
    """A sandbox's control API refused a request."""

    def __init__(self, status: int, description: str) -> None:
        super().__init__(f"{status}: {description}")
        self.status = status
        self.description = description


class ControlClient:
    """A client of the control API under ``prefix``: ``async with Client(url) as c: ...`` closes its session."""

    prefix: ClassVar[str] = ""
    error: ClassVar[type[ControlError]] = ControlError

    def __init__(self, url: str) -> None:
        self.url = url.rstrip("/")
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the HTTP session."""
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession()
        return self._session

    async def _call(
        self, method: str, path: str, body: JSON | aiohttp.FormData | None = None, params: JSON | None = None
    ) -> Any:
        """The ``result`` of a control call; raises ``error`` when the answer is not ok."""
        kwargs: JSON = {"data": body} if isinstance(body, aiohttp.FormData) else {"json": body}
        query = {key: str(value) for key, value in (params or {}).items() if value is not None}
        async with self._http().request(method, f"{self.url}{self.prefix}{path}", params=query, **kwargs) as resp:
            payload = await resp.json()
        if not payload.get("ok"):
            raise self.error(resp.status, payload.get("description", ""))
        return payload["result"]

    async def _bytes(self, path: str, missing: str) -> bytes:
        """The body of a GET under the prefix; raises ``error`` with ``missing`` unless it is a 200."""
        async with self._http().get(f"{self.url}{self.prefix}{path}") as resp:
            if resp.status != 200:
                raise self.error(resp.status, missing)
            return await resp.read()
