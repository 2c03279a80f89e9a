"""A case's SLA clock: start it at dispatch, pause it, extend it, and plan the sweep's next look at the case."""

from __future__ import annotations

from datetime import datetime, timedelta

from models.cases import Case
from models.status import CLOCK_RUNNING, CaseStatus
from services.context import Services
from services.worktime import TimeLimit, due_at, extend_for_pause, reminder_at


def limit_for(services: Services, category: str) -> TimeLimit:
    """The handling time limit of ``category`` (the catalog's "Other" limit for unknown codes)."""
    found = services.config.category(category) or services.config.categories[-1]
    return TimeLimit.parse(found.limit, found.clock)


def start_clock(services: Services, case: Case, now: datetime) -> None:
    """Start a fresh deadline from ``now`` (dispatch, or a rework order) and forget earlier notices."""
    limit = limit_for(services, case.category)
    case.clock_started_at = now
    case.clock_unit = limit.unit
    case.due_at = due_at(now, limit, services.calendar)
    case.reminder_sent_at = None
    case.escalation_level = 0
    case.last_chase_at = None
    plan_next_check(services, case, now)


def extend(services: Services, case: Case, amount: str, now: datetime) -> datetime:
    """Move the deadline later by ``amount`` (e.g. "4h", "1d") on the case's own clock (延期)."""
    if case.due_at is None or case.clock_unit is None:
        raise ValueError("the case has no running deadline")
    clock = "emergency" if case.clock_unit.startswith("calendar") else "working"
    limit = TimeLimit.parse(amount, clock)
    case.due_at = due_at(case.due_at, limit, services.calendar)
    case.extension_count += 1
    if case.escalation_level and case.due_at > now:
        case.escalation_level = 0  # no longer overdue: the chase starts again if it lapses
    plan_next_check(services, case, now)
    return case.due_at


def resume_clock(services: Services, case: Case, paused_from: datetime, now: datetime) -> None:
    """After a suspension (挂账), push the deadline back by the clock time that passed while paused."""
    if case.due_at is not None and case.clock_unit is not None:
        case.due_at = extend_for_pause(case.due_at, paused_from, now, case.clock_unit, services.calendar)
    plan_next_check(services, case, now)


def plan_next_check(services: Services, case: Case, now: datetime) -> None:
    """Set ``next_check_at``: when the sweep must next look at the case (None when nothing is pending)."""
    case.next_check_at = next_check(services, case, now)


def next_check(services: Services, case: Case, now: datetime) -> datetime | None:
    """When the next notice for ``case`` falls due, from its status and the notices already sent."""
    sla = services.config.sla
    status = CaseStatus(case.status)
    if status is CaseStatus.RESOLVED and case.resolved_at is not None:
        return case.resolved_at + timedelta(hours=sla.confirm_timeout_hours)
    if status not in CLOCK_RUNNING or case.due_at is None or case.clock_started_at is None:
        return None
    unit = case.clock_unit or "calendar_hours"
    if case.reminder_sent_at is None and case.escalation_level == 0:
        remind = reminder_at(case.clock_started_at, case.due_at, sla.reminder_fraction, unit, services.calendar)
        if remind < case.due_at:
            return remind
    levels = sla.escalation_after_hours
    if case.escalation_level < len(levels):
        return case.due_at + timedelta(hours=levels[case.escalation_level])
    # Every level has been told: keep chasing the officer at a capped rate.
    last = case.last_chase_at or case.due_at
    return max(last + timedelta(hours=sla.chase_interval_hours), now)

