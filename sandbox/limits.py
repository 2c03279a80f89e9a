"""Telegram's flood limits and injected faults, both applied only to sending methods."""

from __future__ import annotations

import math
import random
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from http import HTTPStatus

from sandbox.errors import ApiError

SENDING_METHODS = frozenset(
    {
        "sendmessage",
        "sendphoto",
        "senddocument",
        "sendmediagroup",
        "sendlocation",
        "sendvenue",
        "copymessage",
        "forwardmessage",
        "sendsticker",
        "sendvoice",
        "sendvideo",
        "sendanimation",
        "sendaudio",
        "sendcontact",
    }
)


@dataclass
class _Bucket:
    capacity: float
    per_second: float
    tokens: float
    stamp: float

    def wait(self, now: float) -> float:
        """Seconds until one token is available (refilling first)."""
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.per_second)
        self.stamp = now
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.per_second


class RateLimiter:
    """Token buckets per chat and per bot, answering 429 with retry_after like Telegram's flood control."""

    def __init__(
        self,
        *,
        enabled: bool = False,
        private_per_second: float = 1.0,
        private_burst: int = 3,
        group_per_minute: int = 20,
        global_per_second: int = 30,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.enabled = enabled
        self.private_per_second = private_per_second
        self.private_burst = private_burst
        self.group_per_minute = group_per_minute
        self.global_per_second = global_per_second
        self._clock = clock
        self._buckets: dict[tuple[int, int | None], _Bucket] = {}

    def configure(self, enabled: bool, **limits: float) -> None:
        """Switch limiting on or off and change any limit; the buckets start full again."""
        self.enabled = enabled
        for name, value in limits.items():
            if not hasattr(self, name):
                raise ValueError(f"unknown rate limit {name}")
            setattr(self, name, value)
        self._buckets.clear()

    def check(self, bot_id: int, chat_id: int, private: bool) -> None:
        """Take one send from the chat's and the bot's budgets, or raise 429 without taking anything."""
        if not self.enabled:
            return
        now = self._clock()
        if private:
            chat = self._bucket((bot_id, chat_id), self.private_burst, self.private_per_second, now)
        else:
            chat = self._bucket((bot_id, chat_id), self.group_per_minute, self.group_per_minute / 60, now)
        overall = self._bucket((bot_id, None), self.global_per_second, self.global_per_second, now)
        wait = max(chat.wait(now), overall.wait(now))
        if wait > 0:
            retry_after = max(1, math.ceil(wait))
            raise ApiError(429, f"Too Many Requests: retry after {retry_after}", retry_after=retry_after)
        chat.tokens -= 1
        overall.tokens -= 1

    def _bucket(self, key: tuple[int, int | None], capacity: float, rate: float, now: float) -> _Bucket:
        if key not in self._buckets:
            self._buckets[key] = _Bucket(capacity, rate, capacity, now)
        return self._buckets[key]


@dataclass(frozen=True)
class Fault:
    """One injected failure: an HTTP status (429 or 5xx), optionally after delivering the message."""

    status: int = 500
    retry_after: int = 1
    delivered: bool = False  # "response lost": the message reaches the chat but the bot sees an error
    delay: float = 0.0

    def error(self) -> ApiError:
        """The error answer this fault produces."""
        if self.status == 429:
            return ApiError(429, f"Too Many Requests: retry after {self.retry_after}", self.retry_after)
        return ApiError(self.status, HTTPStatus(self.status).phrase)


class FaultInjector:
    """Faults for the next calls of a method (scripted) and at a seeded random rate."""

    def __init__(self) -> None:
        self._scripts: dict[str, deque[Fault]] = {}
        self._rate = 0.0
        self._statuses: tuple[int, ...] = (500,)
        self._methods: frozenset[str] = SENDING_METHODS
        self._random = random.Random(0)
        self._delays: dict[str, float] = {}

    def configure(
        self,
        *,
        rate: float = 0.0,
        statuses: Iterable[int] = (500,),
        seed: int | None = 0,
        methods: Iterable[str] | None = None,
        delays: dict[str, float] | None = None,
    ) -> None:
        """Fail `rate` of the calls to `methods` (default: the sending ones) with one of `statuses`."""
        self._rate = rate
        self._statuses = tuple(statuses) or (500,)
        self._random = random.Random(seed)
        self._methods = frozenset(m.lower() for m in methods) if methods else SENDING_METHODS
        self._delays = {method.lower(): seconds for method, seconds in (delays or {}).items()}

    def script(self, method: str, faults: Iterable[Fault]) -> None:
        """Queue faults for the next calls of `method` ("*" matches any method)."""
        self._scripts.setdefault(method.lower(), deque()).extend(faults)

    def clear(self) -> None:
        """Remove every scripted fault, delay and the random rate."""
        self._scripts.clear()
        self.configure()

    def draw(self, method: str) -> Fault | None:
        """The fault for this call of `method`, if one applies."""
        method = method.lower()
        for key in (method, "*"):
            queue = self._scripts.get(key)
            if queue:
                return queue.popleft()
        if self._rate and method in self._methods and self._random.random() < self._rate:
            return Fault(status=self._random.choice(self._statuses))
        return None

    def delay(self, method: str) -> float:
        """Seconds to hold a call of `method` before answering."""
        return self._delays.get(method.lower(), self._delays.get("*", 0.0))
