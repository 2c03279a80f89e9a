"""Case use cases: dispatch, and what officers, reporters and supervisors do with a case.

Each action takes plain values, loads the case under a row lock (so concurrent presses take turns: the first
wins, the rest see the new status), checks role, responsibility and status in the database, moves the case
through ``transition()`` and queues the notifications it causes in the same transaction. A user's mistake raises
``CaseActionError`` carrying a message id the adapter translates; nothing is changed then.

The package is split by concern; callers import from here:

- ``access``: loading and locking a case, who may act on it, and ``CaseActionError``;
- ``dispatching``: sending a case to a unit (or to the dispatchers to place);
- ``questions``: the questions the bot asks and waits for (reasons, after-photos, notes);
- ``officer``, ``supervisor``, ``reporter``: what each of them does with a case;
- ``queries``: what staff look at (tasks, queue, a case's history).
"""

from __future__ import annotations

from services.cases.access import (
    NEED_REASON,
    NOT_NOW,
    NOT_RESPONSIBLE,
    TAKEN,
    TEXT_MAX,
    TOO_LONG,
    CaseActionError,
    chain_of,
    display_name,
    get_case,
    is_follower,
    is_officer_of,
    lock_case,
    supervises,
)
from services.cases.dispatching import dispatch, nearby_units
from services.cases.officer import (
    NEED_PHOTO,
    accept,
    handled_own_report,
    resolve,
    return_case,
    start_resolve,
    start_return,
)
from services.cases.queries import HistoryEntry, case_for_staff, queue_for, tasks_for, unit_name
from services.cases.questions import (
    ASK_REJECT_REASON,
    ASK_RESOLVE_NOTE,
    ASK_RESOLVE_PHOTO,
    ASK_RETURN_REASON,
    ProofPhoto,
    ask,
    awaits_after_photo,
    forget_input,
    pending_input,
    stage_proof_photo,
    staged_note,
    staged_photos,
)
from services.cases.reporter import close_unconfirmed, confirm
from services.cases.supervisor import (
    close_on_behalf,
    extend_deadline,
    reassign,
    reassign_choices,
    reject,
    resume,
    send_back,
    start_reject,
    suspend,
)

__all__ = [
    "ASK_REJECT_REASON",
    "ASK_RESOLVE_NOTE",
    "ASK_RESOLVE_PHOTO",
    "ASK_RETURN_REASON",
    "NEED_PHOTO",
    "NEED_REASON",
    "NOT_NOW",
    "NOT_RESPONSIBLE",
    "TAKEN",
    "TEXT_MAX",
    "TOO_LONG",
    "CaseActionError",
    "HistoryEntry",
    "ProofPhoto",
    "accept",
    "ask",
    "awaits_after_photo",
    "case_for_staff",
    "chain_of",
    "close_on_behalf",
    "close_unconfirmed",
    "confirm",
    "dispatch",
    "display_name",
    "extend_deadline",
    "forget_input",
    "get_case",
    "handled_own_report",
    "is_follower",
    "is_officer_of",
    "lock_case",
    "nearby_units",
    "pending_input",
    "queue_for",
    "reassign",
    "reassign_choices",
    "reject",
    "resolve",
    "resume",
    "return_case",
    "send_back",
    "stage_proof_photo",
    "staged_note",
    "staged_photos",
    "start_reject",
    "start_resolve",
    "start_return",
    "supervises",
    "suspend",
    "tasks_for",
    "unit_name",
]
