"""Assemble the WeChat sandbox, serve it alone, mount it beside the Telegram one, or run it on a free port in tests."""

from __future__ import annotations

import asyncio
import logging

from aiohttp import web

from bot.servers import Site
from sandbox.wechat.api import IMAGE_UPLOAD_MAX_BYTES, STATE_KEY, add_api_routes
from sandbox.wechat.control import POSTER_KEY, add_control_routes
from sandbox.wechat.poster import Poster
from sandbox.wechat.state import Account, Limits, WeChatState

log = logging.getLogger(__name__)
#: Requests are read up to twice WeChat's 10 MB image limit, so an image over it is answered with WeChat's 40006
#: (not a bare HTTP 413).
MAX_UPLOAD = 2 * IMAGE_UPLOAD_MAX_BYTES


def add_routes(app: web.Application, state: WeChatState | None = None) -> WeChatState:
    """Serve WeChat's API (``/cgi-bin/...``) and the control API (``/sandbox/wechat/api``) from ``app``."""
    state = state or WeChatState()
    poster = Poster(state)
    app[STATE_KEY] = state
    app[POSTER_KEY] = poster
    add_api_routes(app)
    add_control_routes(app)
    app.on_cleanup.append(lambda _app: poster.close())
    return state


def create_app(*, account: Account | None = None, limits: Limits | None = None) -> web.Application:
    """The WeChat sandbox as an aiohttp application of its own."""
    app = web.Application(client_max_size=MAX_UPLOAD)
    add_routes(app, WeChatState(account, limits))
    return app


async def serve(host: str, port: int, *, account: Account | None = None) -> None:
    """Serve the sandbox until cancelled."""
    async with WeChatSandboxServer(host, port, account=account) as server:
        log.info("WeChat sandbox at %s (point CITYBOT_WECHAT_API_BASE at it)", server.url)
        await asyncio.Event().wait()


class WeChatSandboxServer(Site):
    """The sandbox on a real socket, port 0 picking a free one: ``async with WeChatSandboxServer() as wx: ...``."""

    def __init__(
        self, host: str = "127.0.0.1", port: int = 0, *, account: Account | None = None, limits: Limits | None = None
    ) -> None:
        super().__init__("WeChat sandbox", create_app(account=account, limits=limits), host, port, shutdown_seconds=1.0)

    @property
    def state(self) -> WeChatState:
        """The live state, for in-process inspection."""
        return self.app[STATE_KEY]

    @property
    def api_base(self) -> str:
        """What to set ``CITYBOT_WECHAT_API_BASE`` to."""
        return self.url
