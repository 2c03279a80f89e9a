"""The case state machine: one enum, one transition table, one ``transition()``."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import inspect

if TYPE_CHECKING:
    from models.cases import Case


class CaseStatus(enum.StrEnum):
    SUBMITTED = "submitted"
    UNROUTED = "unrouted"  # no grid covers the point: waits in the dispatcher queue
    DISPATCHED = "dispatched"
    ACCEPTED = "accepted"
    RESOLVED = "resolved"  # handler reported done with a photo; waits for the check
    REWORK = "rework"  # 返工: the check failed, back to the same handler
    RETURNED = "returned"  # 回退: the unit says "not ours"; waits for a supervisor
    SUSPENDED = "suspended"  # 挂账: the clock is paused
    CLOSED = "closed"
    REJECTED = "rejected"
    DUPLICATE = "duplicate"


S = CaseStatus

#: Statuses in which the case still needs work from someone.
OPEN_STATUSES = frozenset({S.UNROUTED, S.DISPATCHED, S.ACCEPTED, S.REWORK, S.RETURNED, S.SUSPENDED, S.RESOLVED})
#: Statuses whose deadline is running (the SLA clock ticks).
CLOCK_RUNNING = frozenset({S.DISPATCHED, S.ACCEPTED, S.REWORK})
TERMINAL = frozenset({S.CLOSED, S.REJECTED, S.DUPLICATE})
#: Moves that must carry a written reason.
REASON_REQUIRED = frozenset({S.RETURNED, S.REJECTED})

TRANSITIONS: dict[CaseStatus, frozenset[CaseStatus]] = {
    S.SUBMITTED: frozenset({S.DISPATCHED, S.UNROUTED, S.DUPLICATE, S.REJECTED}),
    S.UNROUTED: frozenset({S.DISPATCHED, S.REJECTED, S.DUPLICATE}),
    S.DISPATCHED: frozenset({S.ACCEPTED, S.RESOLVED, S.RETURNED, S.SUSPENDED, S.CLOSED, S.DISPATCHED}),
    S.ACCEPTED: frozenset({S.RESOLVED, S.RETURNED, S.SUSPENDED, S.CLOSED, S.DISPATCHED}),
    S.REWORK: frozenset({S.RESOLVED, S.RETURNED, S.SUSPENDED, S.CLOSED}),
    S.RESOLVED: frozenset({S.CLOSED, S.REWORK}),
    S.RETURNED: frozenset({S.DISPATCHED, S.REJECTED, S.CLOSED}),
    S.SUSPENDED: frozenset({S.DISPATCHED, S.ACCEPTED, S.REWORK, S.CLOSED}),
    S.CLOSED: frozenset(),
    S.REJECTED: frozenset(),
    S.DUPLICATE: frozenset(),
}

_TIMESTAMPS = {
    S.DISPATCHED: "dispatched_at",
    S.ACCEPTED: "accepted_at",
    S.RESOLVED: "resolved_at",
    S.CLOSED: "closed_at",
    S.REJECTED: "closed_at",
    S.DUPLICATE: "closed_at",
}


class IllegalTransition(Exception):
    """A status change the state machine does not allow."""

    def __init__(self, case_id: int | None, current: CaseStatus, target: CaseStatus, reason: str = "") -> None:
        self.case_id, self.current, self.target = case_id, current, target
        super().__init__(reason or f"case {case_id}: {current} -> {target} is not allowed")


def can_transition(current: CaseStatus, target: CaseStatus) -> bool:
    """Whether the table allows ``current`` → ``target``."""
    return target in TRANSITIONS[current]


def transition(
    case: Case,
    target: CaseStatus,
    *,
    at: datetime,
    actor_id: int | None,
    action: str,
    note: str | None = None,
) -> None:
    """Move ``case`` to ``target``, stamp its timestamps and append an event; raise on an illegal move."""
    from models.cases import CaseEvent  # the event table lives beside the case

    current = CaseStatus(case.status)
    if not can_transition(current, target):
        raise IllegalTransition(case.id, current, target)
    if target in REASON_REQUIRED and not (note and note.strip()):
        raise IllegalTransition(case.id, current, target, f"{target} needs a written reason")
    if target is S.SUSPENDED:
        case.suspended_from = current
        case.suspended_at = at
    elif current is S.SUSPENDED:
        case.suspended_from = None
        case.suspended_at = None
    stamp = _TIMESTAMPS.get(target)
    if stamp is not None:
        setattr(case, stamp, at)
    case.status = target
    event = CaseEvent(at=at, actor_id=actor_id, from_status=current, to_status=target, action=action, note=note)
    state = inspect(case)
    if "events" in state.unloaded and state.session is not None:
        # Appending would load the whole history (I/O outside the async context); add the row directly.
        event.case_id = case.id
        state.session.add(event)
    else:
        case.events.append(event)
