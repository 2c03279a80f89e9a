"""The names a process writes into claim columns (``claimed_by``, 64 characters): always fitting, never shared.

A name reads ``role:host:pid:random``. Host names can be 253 characters long and containers often share one
pid (1), so the pid and a fresh random part are always kept whole and only the host name is cut to fit. Each
call gives a new name: two claims in the same process (overlapping passes) must not mistake each other's rows.
"""

from __future__ import annotations

import os
import socket
import uuid

#: The width of every ``claimed_by`` column.
MAX_LENGTH = 64


def worker_name(role: str) -> str:
    """A fresh claim name for ``role`` ("outbox", "sla") in this process, at most ``MAX_LENGTH`` characters."""
    suffix = f":{os.getpid()}:{uuid.uuid4().hex[:12]}"
    head = f"{role}:{socket.gethostname()}"
    return head[: MAX_LENGTH - len(suffix)] + suffix
