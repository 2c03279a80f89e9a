"""Pacing under the channels' flood limits: an overall rate per process, and a gap per address.

A delivery holds one of ``outbox.parallel_chats`` slots while it talks to its channel. While it only waits for its
address's gap (a second message of the same row, one second after the first) it gives its slot back, so the other
addresses keep the overall rate filled; :func:`holding` tells the pacer which slot the current task holds.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextvars import ContextVar

from services.config import OutboxConfig
from services.context import Services

#: The parallel-delivery slot the current task holds (None: it holds none).
_SLOT: ContextVar[asyncio.Semaphore | None] = ContextVar("outbox_slot", default=None)


@contextlib.asynccontextmanager
async def holding(slots: asyncio.Semaphore) -> AsyncIterator[None]:
    """Hold one of ``slots`` for the current task; the pacer lends it out while the task waits for its address."""
    async with slots:
        token = _SLOT.set(slots)
        try:
            yield
        finally:
            _SLOT.reset(token)


class Pacer:
    """Spaces sends: ``global_per_second`` overall, and per address the gap its channel asks for."""

    def __init__(
        self,
        config: OutboxConfig,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._config, self._now, self._sleep = config, monotonic, sleep
        self._next_global = 0.0
        self._next_chat: dict[tuple[str, str], float] = {}

    async def wait(self, key: tuple[str, str], gap: float) -> None:
        """Sleep until ``key`` (channel, address) may be written to again, then take the next free overall slot."""
        now = self._now()
        ready = self._next_chat.get(key, 0.0)
        if ready > now:
            # Wait for this chat first, holding no overall slot (nor a parallel one) meanwhile: other chats go on.
            await self._idle(ready - now)
            now = self._now()
        slot = max(now, self._next_global)
        self._next_global = slot + 1 / self._config.global_per_second
        self._next_chat[key] = slot + gap
        if len(self._next_chat) > 10_000:
            self._next_chat = {chat: t for chat, t in self._next_chat.items() if t > now}
        if slot > now:
            await self._sleep(slot - now)

    async def _idle(self, seconds: float) -> None:
        slots = _SLOT.get()
        if slots is None:
            await self._sleep(seconds)
            return
        slots.release()
        try:
            await self._sleep(seconds)
        finally:
            # Taken back even when cancelled, so the holder's release stays balanced.
            await asyncio.shield(slots.acquire())


def pacer_for(services: Services) -> Pacer:
    """The process's pacer (shared by every pass, so limits hold across passes)."""
    if services.pacer is None:
        services.pacer = Pacer(services.config.outbox)
    return services.pacer
