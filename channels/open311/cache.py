"""Answers to GET requests kept in memory and reused while nothing published has changed.

Polling clients (311 apps, FixMyStreet, dashboards) ask the same questions again and again. An answer is reused
while the database's data version (``public_cases.data_version``) is the one it was made under; the version is
read at most once per ``check_seconds``, so a change shows within that time, and no answer is older than
``max_age_seconds`` (a photo copy that arrives later, the default 90-day window moving on).
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable

Version = tuple[object, ...]


class ResponseCache:
    """A bounded map from request to response body, valid for one data version."""

    def __init__(
        self,
        read_version: Callable[[], Awaitable[Version]],
        *,
        check_seconds: float = 1.0,
        max_age_seconds: float = 60.0,
        size: int = 512,
    ) -> None:
        self._read_version = read_version
        self._check_seconds = check_seconds
        self._max_age = max_age_seconds
        self._size = size
        self._entries: OrderedDict[str, tuple[Version, float, bytes]] = OrderedDict()
        self._version: Version | None = None
        self._checked = float("-inf")

    async def version(self) -> Version:
        """The data version, read again when the last reading is older than ``check_seconds``."""
        now = time.monotonic()
        if self._version is None or now - self._checked >= self._check_seconds:
            self._version = await self._read_version()
            self._checked = now
        return self._version

    async def get(self, key: str) -> bytes | None:
        """The body kept for ``key`` if it is still current."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        version = await self.version()
        if entry[0] != version or time.monotonic() - entry[1] > self._max_age:
            del self._entries[key]
            return None
        self._entries.move_to_end(key)
        return entry[2]

    def put(self, key: str, version: Version, body: bytes) -> None:
        """Keep ``body`` for ``key``, made under ``version``."""
        self._entries[key] = (version, time.monotonic(), body)
        self._entries.move_to_end(key)
        while len(self._entries) > self._size:
            self._entries.popitem(last=False)
