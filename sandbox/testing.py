"""Helpers for tests that run a real PTB bot against the sandbox, with the real Telegram out of reach."""

from __future__ import annotations

import contextlib
import socket
from collections.abc import AsyncIterator, Iterator
from typing import Any

from telegram.ext import Application

from sandbox.server import SandboxServer

_LOOPBACK = {"localhost", "127.0.0.1", "::1", "ip6-localhost"}


class NetworkEscape(AssertionError):
    """Code under test tried to resolve a host outside this machine (such as api.telegram.org)."""


@contextlib.contextmanager
def no_internet() -> Iterator[list[str]]:
    """Refuse name lookups for anything but loopback; yields the hosts that were attempted."""
    attempted: list[str] = []
    real_getaddrinfo = socket.getaddrinfo

    def guarded(host: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else str(host)
        if name not in _LOOPBACK and not name.startswith("127."):
            attempted.append(name)
            raise NetworkEscape(f"tests must stay offline, but something looked up {name}")
        return real_getaddrinfo(host, *args, **kwargs)

    socket.getaddrinfo = guarded
    try:
        yield attempted
    finally:
        socket.getaddrinfo = real_getaddrinfo


def point_at(builder: Any, server: SandboxServer) -> Any:
    """Aim a PTB ApplicationBuilder (or anything with base_url/base_file_url) at the sandbox."""
    return builder.base_url(server.base_url).base_file_url(server.base_file_url)


@contextlib.asynccontextmanager
async def polling(application: Application[Any, Any, Any, Any, Any, Any]) -> AsyncIterator[None]:
    """Run an Application with long polling for the duration of the block, then shut it down."""
    async with application:
        await application.start()
        assert application.updater is not None
        await application.updater.start_polling(poll_interval=0, timeout=5)
        try:
            yield
        finally:
            await application.updater.stop()
            await application.stop()
