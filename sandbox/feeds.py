"""Long-polled feeds: each bot's update queue and the sandbox-wide event log for the web page."""

from __future__ import annotations

import asyncio
from collections import deque

from sandbox.errors import JSON, ApiError

CONFLICT = "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"


class _Signal:
    """Wakes every waiter at once; a fresh event per round so late waiters never see a stale set()."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def fire(self) -> None:
        """Wake everyone waiting now."""
        self._event.set()
        self._event = asyncio.Event()

    async def wait(self, wait_seconds: float) -> None:
        """Wait until fired or until `wait_seconds` pass."""
        event = self._event
        try:
            await asyncio.wait_for(event.wait(), wait_seconds)
        except TimeoutError:
            pass


class UpdateQueue:
    """Pending updates of one bot with getUpdates semantics: offsets confirm, one poller at a time."""

    def __init__(self) -> None:
        self._pending: deque[JSON] = deque()
        self._next_id = 1
        self._signal = _Signal()
        self._poll_round = 0
        self.allowed: set[str] | None = None

    def push(self, kind: str, payload: JSON) -> int | None:
        """Queue an update of `kind` ("message", "callback_query"...) and return its update_id."""
        if self.allowed and kind not in self.allowed:
            return None  # Telegram never creates updates the bot did not ask for
        update_id = self._next_id
        self._next_id += 1
        self._pending.append({"update_id": update_id, kind: payload})
        self._signal.fire()
        return update_id

    def confirm(self, offset: int) -> None:
        """Forget updates below a positive offset; a negative offset keeps only the last -offset ones."""
        if offset > 0:
            while self._pending and self._pending[0]["update_id"] < offset:
                self._pending.popleft()
        elif offset < 0:
            while len(self._pending) > -offset:
                self._pending.popleft()

    def drop_all(self) -> None:
        """Forget every pending update (deleteWebhook with drop_pending_updates)."""
        self._pending.clear()

    @property
    def polls_started(self) -> int:
        """How many getUpdates calls have begun (lets tests wait until a poller is waiting)."""
        return self._poll_round

    @property
    def pending(self) -> list[JSON]:
        """Updates not yet confirmed, oldest first."""
        return list(self._pending)

    async def next_pending(self) -> JSON:
        """The oldest unconfirmed update, waiting for one to arrive (webhook delivery; confirm it when sent)."""
        while not self._pending:
            await self._signal.wait(3600.0)
        return self._pending[0]

    async def poll(self, offset: int, limit: int, wait_seconds: float) -> list[JSON]:
        """Return pending updates, waiting up to `wait_seconds` for the first one to arrive."""
        self._poll_round += 1
        my_round = self._poll_round
        self._signal.fire()  # an older poll still waiting is terminated with 409, as Telegram does
        self.confirm(offset)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + max(wait_seconds, 0.0)
        while True:
            if my_round != self._poll_round:
                raise ApiError(409, CONFLICT)
            ready = list(self._pending)[: max(1, min(limit, 100))]
            remaining = deadline - loop.time()
            if ready or remaining <= 0:
                return ready
            await self._signal.wait(remaining)


class EventLog:
    """Numbered sandbox events (messages, edits, deletions, button presses) for live viewers."""

    def __init__(self, keep: int = 10_000) -> None:
        self._events: deque[JSON] = deque(maxlen=keep)
        self._last = 0
        self._signal = _Signal()

    @property
    def last_id(self) -> int:
        """Id of the newest event, 0 when none happened yet."""
        return self._last

    def emit(self, kind: str, **fields: object) -> int:
        """Record an event and wake the viewers; returns its id."""
        self._last += 1
        self._events.append({"id": self._last, "type": kind, **fields})
        self._signal.fire()
        return self._last

    def after(self, event_id: int) -> list[JSON]:
        """Events newer than `event_id`, oldest first."""
        return [event for event in self._events if event["id"] > event_id]

    async def wait_after(self, event_id: int, wait_seconds: float) -> list[JSON]:
        """Events newer than `event_id`, waiting up to `wait_seconds` for one to happen."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + max(wait_seconds, 0.0)
        while True:
            found = self.after(event_id)
            remaining = deadline - loop.time()
            if found or remaining <= 0:
                return found
            await self._signal.wait(remaining)
