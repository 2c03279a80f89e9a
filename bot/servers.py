"""The one home of citybot's HTTP servers: every aiohttp application is started, logged and stopped the same way.

Applications are built where their input arrives (the Telegram webhook, the WeChat callback, the Open311 API, the
sandbox and the demo), with the body limit that input allows (``web.Application(client_max_size=...)``). Here they
get a runner and a TCP site with the limits common to all of them: request line and header sizes, keep-alive, the
time in-flight requests get to finish at shutdown, and one access-log policy (off unless asked for: a reverse
proxy keeps it in production, and the benchmarks must not pay for it).

A process serves several applications through one ``Servers``::

    servers = Servers()
    servers.add("open311", open311_app, "127.0.0.1", 8311)
    async with servers:          # all listening, or none (a port in use stops the ones already started)
        ...
    # stopped in reverse order; each application's on_cleanup closes what it opened

Anything an application opened (API clients, background sends) is closed from its own ``app.on_cleanup``.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from types import TracebackType
from typing import Self

from aiohttp import web

log = logging.getLogger(__name__)

#: Request line and each header at most this long (aiohttp answers 400 beyond); no client of ours needs more.
MAX_LINE = 8 * 1024
#: Seconds an idle keep-alive connection stays open.
KEEPALIVE_SECONDS = 75.0
#: Seconds requests still running get to finish when a server stops.
SHUTDOWN_SECONDS = 2.0
ACCESS_LOG = logging.getLogger("citybot.http.access")


class _Serving:
    """Started by ``async with``, stopped when the block ends."""

    async def start(self) -> object:
        raise NotImplementedError

    async def stop(self) -> None:
        raise NotImplementedError

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()


class Site(_Serving):
    """One application served on one address; port 0 picks a free port, ``url`` says which once started."""

    def __init__(
        self,
        name: str,
        app: web.Application,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        access_log: bool = False,
        shutdown_seconds: float = SHUTDOWN_SECONDS,
    ) -> None:
        self.name = name
        self.app = app
        self.host = host
        self.port = port
        self.url = ""
        self._runner = web.AppRunner(
            app,
            access_log=ACCESS_LOG if access_log else None,
            shutdown_timeout=shutdown_seconds,
            keepalive_timeout=KEEPALIVE_SECONDS,
            max_line_size=MAX_LINE,
            max_field_size=MAX_LINE,
        )
        self._started = False

    async def start(self) -> str:
        """Bind and serve; returns the URL the server answers at (with the port chosen when 0 was asked)."""
        await self._runner.setup()
        try:
            await web.TCPSite(self._runner, self.host, self.port).start()
        except BaseException:
            await self._runner.cleanup()
            raise
        self._started = True
        host, port = self._runner.addresses[0][:2]
        self.port = int(port)
        self.url = f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"
        log.info("%s listening at %s", self.name, self.url)
        return self.url

    async def stop(self) -> None:
        """Stop accepting, let running requests finish (up to the shutdown time), run the app's on_cleanup."""
        if self._started:
            self._started = False
            await self._runner.cleanup()


class Servers(_Serving):
    """The HTTP servers of one process: ``add`` them, then ``start``/``stop`` them all together."""

    def __init__(self, *, access_log: bool = False) -> None:
        self._sites: list[Site] = []
        self._access_log = access_log

    def add(self, name: str, app: web.Application, host: str, port: int) -> Site:
        """Serve ``app`` on ``host:port`` once started; two applications may not share an address."""
        if any((s.host, s.port) == (host, port) and port for s in self._sites):
            raise ValueError(f"{name}: {host}:{port} is already used by another server of this process")
        site = Site(name, app, host, port, access_log=self._access_log)
        self._sites.append(site)
        return site

    @property
    def sites(self) -> list[Site]:
        """The servers added, in the order they start."""
        return list(self._sites)

    async def start(self) -> None:
        """Start every server; if one cannot (its port in use), stop those already started and raise."""
        started: list[Site] = []
        try:
            for site in self._sites:
                await site.start()
                started.append(site)
        except BaseException:
            for site in reversed(started):
                await site.stop()
            raise

    async def stop(self) -> None:
        """Stop every server, the last started first."""
        for site in reversed(self._sites):
            try:
                await site.stop()
            except Exception:
                log.exception("%s did not stop cleanly", site.name)


async def until_stopped() -> None:
    """Return when the process is asked to stop (SIGINT or SIGTERM), so the caller can shut down in order."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    signals = (signal.SIGINT, signal.SIGTERM)
    for sig in signals:
        try:
            loop.add_signal_handler(sig, stop.set)
        except (NotImplementedError, RuntimeError):  # not the main thread, or a loop without signal support
            pass
    try:
        await stop.wait()
    finally:
        for sig in signals:
            try:
                loop.remove_signal_handler(sig)
            except (NotImplementedError, RuntimeError):
                pass
