"""Assemble the sandbox application, serve it, or run it in-process on a free port for tests."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from pathlib import Path

from aiohttp import web

from bot.servers import Site
from sandbox import botapi, control
from sandbox import wechat as wechat_sandbox
from sandbox.botapi import STATE_KEY
from sandbox.state import SandboxState
from sandbox.wechat import WeChatState
from sandbox.wechat.api import STATE_KEY as WECHAT_STATE_KEY

log = logging.getLogger(__name__)
WEB_DIR = Path(__file__).parent / "web"
MAX_UPLOAD = 50 * 1024 * 1024  # Telegram's upload limit for bots


def create_app(
    *,
    tokens: Iterable[str] | None = None,
    rate_limits: bool = False,
    fault_rate: float = 0.0,
    fault_statuses: Iterable[int] = (500,),
    fault_seed: int | None = 0,
    state: SandboxState | None = None,
    wechat: bool = True,
) -> web.Application:
    """The sandbox as an aiohttp application; `tokens` turns on a registry (others get 401).

    With ``wechat`` (the default), the offline WeChat is served beside the Telegram Bot API: its API under
    ``/cgi-bin/`` (point ``CITYBOT_WECHAT_API_BASE`` at the sandbox's URL) and its control API under
    ``/sandbox/wechat/api``.
    """
    app = web.Application(client_max_size=MAX_UPLOAD)
    app[STATE_KEY] = state or SandboxState(tokens=tokens, rate_limits=rate_limits)
    if fault_rate:
        app[STATE_KEY].faults.configure(rate=fault_rate, statuses=fault_statuses, seed=fault_seed)
    botapi.add_routes(app)
    control.add_routes(app)
    if wechat:
        wechat_sandbox.add_routes(app)
    if (WEB_DIR / "index.html").is_file():
        app.router.add_get("/", _web_index)
        app.router.add_static("/web/", WEB_DIR)
    return app


async def _web_index(request: web.Request) -> web.StreamResponse:
    return web.FileResponse(WEB_DIR / "index.html")


async def serve(host: str, port: int, **options: object) -> None:
    """Serve the sandbox until cancelled; options are those of create_app()."""
    async with SandboxServer(host, port, **options) as server:
        log.info("sandbox Bot API at %s (point base_url at %s)", server.url, server.base_url)
        await asyncio.Event().wait()


class SandboxServer(Site):
    """The sandbox on a real socket, port 0 picking a free one: `async with SandboxServer() as sb: ...`."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, **options: object) -> None:
        # Open long polls are dropped after a second at shutdown: nobody waits for a getUpdates to time out.
        super().__init__("sandbox Bot API", create_app(**options), host, port, shutdown_seconds=1.0)  # type: ignore[arg-type]

    @property
    def state(self) -> SandboxState:
        """The live sandbox state, for in-process inspection."""
        return self.app[STATE_KEY]

    @property
    def wechat(self) -> WeChatState:
        """The offline WeChat served beside the Telegram Bot API (``KeyError`` if turned off)."""
        return self.app[WECHAT_STATE_KEY]

    @property
    def base_url(self) -> str:
        """What to pass as PTB's `base_url`."""
        return f"{self.url}/bot"

    @property
    def base_file_url(self) -> str:
        """What to pass as PTB's `base_file_url`."""
        return f"{self.url}/file/bot"
