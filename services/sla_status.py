"""How a case's deadline reads to its reporter: when it is due, or that it is overdue and by how much.

The clock runs only while the case waits for its handler (dispatched, accepted, rework): a case on hold, waiting
for a dispatcher or reported fixed is not overdue, whatever its stored deadline says.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from models.status import CLOCK_RUNNING, TERMINAL, CaseStatus
from services.context import Services
from services.i18n import Translator
from services.messages import resolve
from services.notify import local_time
from services.sla_notices import overdue_ref


class DeadlinedCase(Protocol):
    """What the deadline line reads of a case."""

    @property
    def status(self) -> str: ...
    @property
    def due_at(self) -> datetime | None: ...


def is_overdue(case: DeadlinedCase, now: datetime) -> bool:
    """Whether the case's clock is running and its deadline has passed."""
    return CaseStatus(case.status) in CLOCK_RUNNING and case.due_at is not None and case.due_at < now


def deadline_note(services: Services, case: DeadlinedCase, now: datetime, t: Translator) -> str | None:
    """ "due 2026-11-20 16:00", "⚠️ due 2026-11-20 16:00, 2 d 3 h overdue", or None (no deadline, or finished)."""
    if case.due_at is None or CaseStatus(case.status) in TERMINAL:
        return None
    deadline = local_time(services, case.due_at)
    if is_overdue(case, now):
        return t(
            "⚠️ due {deadline}, {late}", deadline=deadline, late=resolve(services, overdue_ref(now - case.due_at), t)
        )
    return t("due {deadline}", deadline=deadline)
