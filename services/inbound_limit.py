"""How much one person may send: a token bucket per sender, kept in this process's memory.

Every inbound message, button press or edit costs one token; a bucket holds ``per_minute`` tokens and refills at
``per_minute`` a minute, so a person may send a burst of that many and then keep that pace. The first message over
the limit is answered once; from then on the sender is ignored for ``quiet`` (a minute) without another word.

The buckets live in one process: with several processes receiving updates each keeps its own, so a sender may
reach the limit once per process. Checking costs no database query, which is the point: a flood is dropped before
it reaches any handler (and, with ``drop_if_quiet``, before the channel even decodes it).
"""

from __future__ import annotations

import enum
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass

#: Forget senders idle this long (their bucket is full again anyway) once the table holds this many.
_PRUNE_AT = 10_000


class Admission(enum.Enum):
    """What to do with one inbound update."""

    ACCEPT = "accept"
    REFUSE_AND_TELL = "refuse_and_tell"  # the first over the limit: answer once
    DROP = "drop"  # further ones while the sender is quiet: no answer


@dataclass
class _Bucket:
    tokens: float
    updated: float
    quiet_until: float = 0.0


class InboundLimiter:
    """Per-sender token buckets; ``per_minute`` of 0 turns the limit off."""

    def __init__(self, per_minute: int, *, quiet_seconds: float = 60.0, now: Callable[[], float] = time.monotonic):
        self.per_minute = per_minute
        self._quiet = quiet_seconds
        self._now = now
        self._buckets: dict[Hashable, _Bucket] = {}
        self.dropped = 0  # updates dropped without an answer since start, for logs and tests

    def admit(self, sender: Hashable) -> Admission:
        """Take a token for one update from ``sender``; say whether to handle, answer once, or drop it."""
        if self.per_minute <= 0:
            return Admission.ACCEPT
        now = self._now()
        bucket = self._buckets.get(sender)
        if bucket is None:
            if len(self._buckets) >= _PRUNE_AT:
                self._prune(now)
            bucket = self._buckets[sender] = _Bucket(float(self.per_minute), now)
        if now < bucket.quiet_until:
            self.dropped += 1
            return Admission.DROP
        capacity = float(self.per_minute)
        bucket.tokens = min(capacity, bucket.tokens + (now - bucket.updated) * capacity / 60.0)
        bucket.updated = now
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return Admission.ACCEPT
        bucket.quiet_until = now + self._quiet
        return Admission.REFUSE_AND_TELL

    def drop_if_quiet(self, sender: Hashable) -> bool:
        """Whether ``sender`` is in their quiet minute: if so, count one more update dropped, as ``admit`` would.

        Takes no token, so it may look at an update before ``admit`` sees the ones that came before it.
        """
        bucket = self._buckets.get(sender)
        if bucket is None or self._now() >= bucket.quiet_until:
            return False
        self.dropped += 1
        return True

    def _prune(self, now: float) -> None:
        idle = 60.0 + self._quiet
        for sender in [s for s, b in self._buckets.items() if now - b.updated > idle and now >= b.quiet_until]:
            del self._buckets[sender]

    def __len__(self) -> int:
        return len(self._buckets)
