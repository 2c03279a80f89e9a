"""PTB's transport to the Bot API over aiohttp instead of its default httpx.

Each Bot API call costs the bot's process CPU; measured against the sandbox, httpx with httpcore, anyio and h11
takes 2-5 ms per call and aiohttp about 0.5-1 ms (bench/bench_report_flow.py shows what that does to a report
flow). The semantics are PTB's: the caller's timeouts, form fields as PTB encodes them, files as multipart, and
transport failures as ``TimedOut`` / ``NetworkError``; PTB itself reads the status and the JSON.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import aiohttp
from telegram.error import NetworkError, TimedOut
from telegram.ext import Defaults, ExtBot
from telegram.request import BaseRequest, RequestData

#: Says whether to keep one update as it arrives, undecoded (False: drop it before PTB builds objects from it).
ArrivalScreen = Callable[[dict[str, Any]], bool]


class AiohttpRequest(BaseRequest):
    """A ``BaseRequest`` on one pooled ``aiohttp.ClientSession``, opened by ``initialize``."""

    def __init__(
        self,
        connection_pool_size: int = 256,
        *,
        read_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        pool_timeout: float | None = 1.0,
    ) -> None:
        self._pool_size = connection_pool_size
        self._read_timeout = read_timeout
        self._connect_timeout = connect_timeout
        self._pool_timeout = pool_timeout
        self._session: aiohttp.ClientSession | None = None
        self._ready = False
        self._answered = False  # whether the Bot API has accepted a call yet

    @property
    def read_timeout(self) -> float | None:
        """How long a response may take when the caller does not say."""
        return self._read_timeout

    async def initialize(self) -> None:
        """Allow requests; the connection pool opens with the first one."""
        self._ready = True

    async def shutdown(self) -> None:
        """Close the connection pool."""
        self._ready = False
        await self._close()

    async def _close(self) -> None:
        session, self._session = self._session, None
        if session is not None and not session.closed:
            await session.close()

    def _pool(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self._pool_size, limit_per_host=self._pool_size)
            self._session = aiohttp.ClientSession(connector=connector, headers={"User-Agent": self.USER_AGENT})
        return self._session

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """Make the request; returns the status and the body for PTB to read."""
        if not self._ready:
            raise RuntimeError("AiohttpRequest is not initialized")
        read = self._read_timeout if read_timeout is BaseRequest.DEFAULT_NONE else read_timeout
        connect = self._connect_timeout if connect_timeout is BaseRequest.DEFAULT_NONE else connect_timeout
        pool = self._pool_timeout if pool_timeout is BaseRequest.DEFAULT_NONE else pool_timeout
        # aiohttp's ``connect`` covers waiting for a pooled connection and opening one; ``sock_connect`` only the
        # latter. It has no write timeout: a body is written within the read timeout's wait for the answer.
        waiting = None if connect is None or pool is None else connect + pool
        timeout = aiohttp.ClientTimeout(total=None, connect=waiting, sock_connect=connect, sock_read=read)
        status = 0
        try:
            async with self._pool().request(method, url, data=_body(request_data), timeout=timeout) as response:
                status = response.status
                return status, await response.read()
        except TimeoutError as err:
            raise TimedOut from err
        except aiohttp.ClientError as err:
            raise NetworkError(f"aiohttp.{err.__class__.__name__}: {err}") from err
        finally:
            if not self._answered:
                self._answered = 0 < status < 400
                if not self._answered:
                    # Until the Bot API has accepted a call, a failure may be the end: PTB does not shut a bot
                    # down whose token was refused at start, so no pool is left open behind it.
                    await self._close()


class UpdatesRequest(AiohttpRequest):
    """The getUpdates pool, which can drop arriving updates before PTB decodes them (decoding costs ~0.1 ms each).

    The last update of each batch is always kept: PTB asks for the next batch from the last update it received,
    so dropping it would fetch the dropped ones again.
    """

    def __init__(self, connection_pool_size: int = 1) -> None:
        super().__init__(connection_pool_size)
        self.screen: ArrivalScreen | None = None

    def parse_json_payload(self, payload: bytes) -> dict[str, Any]:  # type: ignore[override]
        """The Bot API's answer, with the updates the screen refuses left out.

        PTB declares this a static method but calls it on the request, which the screen needs.
        """
        data = super().parse_json_payload(payload)
        updates = data.get("result")
        if self.screen is None or data.get("ok") is not True or not isinstance(updates, list) or len(updates) < 2:
            return data
        screen = self.screen
        data["result"] = [u for u in updates[:-1] if not isinstance(u, dict) or screen(u)] + updates[-1:]
        return data


def _body(request_data: RequestData | None) -> aiohttp.FormData | dict[str, str] | None:
    """Form fields as PTB encodes them (JSON for structured values); files make it multipart."""
    if request_data is None:
        return None
    fields = request_data.json_parameters
    if not request_data.contains_files:
        return fields
    form = aiohttp.FormData()
    for name, value in fields.items():
        form.add_field(name, value)
    for name, upload in request_data.multipart_data.items():
        filename, content, *rest = upload
        form.add_field(name, content, filename=filename, content_type=rest[0] if rest else None)
    return form


class PooledBot(ExtBot):  # type: ignore[type-arg]
    """The bot on two ``AiohttpRequest`` pools, which it closes again when it cannot start.

    PTB leaves a bot whose start failed (a rejected token, an unreachable server) uninitialised, so its shutdown
    skips the requests: their connection pools would stay open until the process ends.
    """

    def __init__(self, token: str, *, base_url: str, base_file_url: str, defaults: Defaults) -> None:
        self._updates = UpdatesRequest()
        self._pools = (AiohttpRequest(), self._updates)
        super().__init__(
            token,
            base_url=base_url,
            base_file_url=base_file_url,
            request=self._pools[0],
            get_updates_request=self._pools[1],
            defaults=defaults,
        )

    def screen_arrivals(self, screen: ArrivalScreen | None) -> None:
        """Drop the polled updates ``screen`` refuses before they are decoded (webhook updates are not screened)."""
        self._updates.screen = screen

    async def initialize(self) -> None:
        """Start, or close the pools and raise what stopped it."""
        try:
            await super().initialize()
        except BaseException:
            await asyncio.gather(*(pool.shutdown() for pool in self._pools))
            raise
