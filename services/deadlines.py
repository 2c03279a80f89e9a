"""A case's SLA clock: start, pause, extend, and decide which deadline notices fall due and when.

The notice timeline of one deadline (times are on the case's record, so a restart loses nothing):
- reminder, once ``sla.reminder_fraction`` of the allowed clock time has run (to the owner, else the unit's
  officers);
- overdue notice at the deadline to the same people, then a chase every ``sla.chase_interval_hours`` at most;
- escalation (督办) level k once ``sla.escalation_after_hours[k-1]`` hours have passed since the deadline;
  with the first escalation of a deadline the reporter and followers are told, once, that it was escalated.
Working-clock cases get their escalations and chases only inside working time (a litter case is not escalated
at 3 a.m.); emergency-clock cases are notified around the clock.

Catch-up rule: a sweep sends what is due *now*, never the history. After downtime the reminder is skipped if
the deadline has passed, one overdue notice (or one chase) goes to the officer, and only the highest escalation
level that is due is notified; lower levels are marked as passed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Literal, Protocol

from models.cases import Case
from models.status import CLOCK_RUNNING, CaseStatus
from services.context import Services
from services.i18n import N_
from services.worktime import WORKING_UNITS, TimeLimit, WorkCalendar, due_at, extend_for_pause, reminder_at

# As far as ``worktime`` looks for a working period before calling the calendar broken.
_IDLE_DAYS_CHECKED = 3660
_ONE_DAY = timedelta(days=1)

#: The most one extension (延期) may add: a longer wait is a suspension (挂账), and an unbounded amount
#: ("99999999d") would overflow the calendar.
MAX_EXTENSION_DAYS = 365


class ExtensionTooLong(ValueError):
    """An extension beyond ``MAX_EXTENSION_DAYS``; ``message`` is a msgid translated with ``values``."""

    def __init__(self) -> None:
        self.message = N_("An extension can add at most {days} days (or {hours} hours). For longer, use /suspend.")
        self.values: dict[str, object] = {"days": MAX_EXTENSION_DAYS, "hours": MAX_EXTENSION_DAYS * 24}
        super().__init__(self.message)


ActionKind = Literal["reminder", "overdue", "chase", "escalation", "escalated", "close"]


class ClockedCase(Protocol):
    """What the notice timeline reads and marks on a case (a ``Case``, or the sweep's lighter copy of one)."""

    reminder_sent_at: datetime | None
    escalation_level: int
    last_chase_at: datetime | None
    next_check_at: datetime | None

    @property
    def status(self) -> str: ...
    @property
    def due_at(self) -> datetime | None: ...
    @property
    def clock_started_at(self) -> datetime | None: ...
    @property
    def clock_unit(self) -> str | None: ...
    @property
    def resolved_at(self) -> datetime | None: ...


@dataclass(frozen=True)
class MemoCalendar(WorkCalendar):
    """The same calendar remembering each day's working periods: a sweep asks about the same days 1,000 times."""

    _days: dict[date, list[tuple[datetime, datetime]]] = field(default_factory=dict, compare=False, repr=False)

    def working_intervals(self, day: date) -> list[tuple[datetime, datetime]]:
        """The working periods of local ``day`` as UTC intervals, computed once per day."""
        found = self._days.get(day)
        if found is None:
            found = self._days[day] = super().working_intervals(day)
        return found

    def working_moment(self, moment: datetime) -> datetime:
        """``moment`` if it is in working time (a period's end counts), else the start of the next period.

        What ``intervals_from`` would give, without building a generator per question: the sweep asks a few
        times per case and timeline.
        """
        day = moment.astimezone(self.tz).date()
        for _ in range(_IDLE_DAYS_CHECKED):
            for begin, end in self.working_intervals(day):
                if end >= moment:
                    return max(begin, moment)
            day += _ONE_DAY
        return moment


def calendar_of(services: Services) -> MemoCalendar:
    """``services.calendar`` with memory (kept on the services, rebuilt if the calendar is replaced)."""
    source = services.calendar
    kept = services.calendar_memo
    if kept is None or kept[0] is not source:
        memo = MemoCalendar(source.schedule, source.holidays, source.makeup_days, source.tz)
        kept = services.calendar_memo = (source, memo)
    return kept[1]


@dataclass(frozen=True)
class SlaAction:
    """One thing a sweep must do: a notice (``number``: escalation level or chase number) or a close.

    ``escalated`` is the news for the reporter and followers that accompanies a deadline's first escalation.
    """

    kind: ActionKind
    number: int = 0


def limit_for(services: Services, category: str) -> TimeLimit:
    """The handling time limit of ``category`` (the catalog's "Other" limit for unknown codes)."""
    found = services.config.category(category) or services.config.categories[-1]
    return TimeLimit.parse(found.limit, found.clock)


def start_clock(services: Services, case: Case, now: datetime) -> None:
    """Start a fresh deadline from ``now`` (dispatch, or a rework order) and forget earlier notices."""
    limit = limit_for(services, case.category)
    case.clock_started_at = now
    case.clock_unit = limit.unit
    case.due_at = due_at(now, limit, calendar_of(services))
    _forget_notices(case)
    case.reminder_sent_at = None
    plan_next_check(services, case, now)


def extend(services: Services, case: Case, amount: str, now: datetime) -> datetime:
    """Move the deadline later by ``amount`` (e.g. "4h", "1d") on the case's own clock (延期).

    Raises ``ExtensionTooLong`` beyond ``MAX_EXTENSION_DAYS`` and ``ValueError`` for an amount it cannot read.
    """
    if case.due_at is None or case.clock_unit is None:
        raise ValueError("the case has no running deadline")
    clock = "emergency" if case.clock_unit.startswith("calendar") else "working"
    limit = TimeLimit.parse(amount, clock)
    hours = limit.amount * (24 if limit.unit.endswith("days") else 1)
    if hours > MAX_EXTENSION_DAYS * 24:
        raise ExtensionTooLong()
    case.due_at = due_at(case.due_at, limit, calendar_of(services))
    case.extension_count = (case.extension_count or 0) + 1
    if case.due_at > now:
        # No longer overdue: if the new deadline lapses too, the overdue notice and escalation start over.
        _forget_notices(case)
    plan_next_check(services, case, now)
    return case.due_at


def resume_clock(services: Services, case: Case, paused_from: datetime, now: datetime) -> None:
    """After a suspension (挂账), push the deadline back by the clock time that passed while paused.

    The clock's start moves by the same amount, so a reminder not yet sent still falls when the same share of
    *running* time is used, instead of at once.
    """
    unit, calendar = case.clock_unit, calendar_of(services)
    if case.due_at is not None and unit is not None:
        case.due_at = extend_for_pause(case.due_at, paused_from, now, unit, calendar)
        if case.clock_started_at is not None:
            case.clock_started_at = extend_for_pause(case.clock_started_at, paused_from, now, unit, calendar)
    plan_next_check(services, case, now)


def plan_next_check(services: Services, case: ClockedCase, now: datetime) -> None:
    """Set ``next_check_at``: when the sweep must next look at the case (None when nothing is pending)."""
    case.next_check_at = next_check(services, case, now)


def next_check(services: Services, case: ClockedCase, now: datetime) -> datetime | None:
    """When the next action for ``case`` falls due, from its status and the notices already sent."""
    times = [when for when, _action in _timeline(services, case, now)]
    return min(times) if times else None


def due_actions(services: Services, case: ClockedCase, now: datetime) -> list[SlaAction]:
    """What a sweep at ``now`` must do for ``case``: each due notice once, only the highest escalation."""
    due = [action for when, action in _timeline(services, case, now) if when <= now]
    if any(action.kind == "overdue" for action in due):
        due = [action for action in due if action.kind != "reminder"]  # the deadline passed: too late to remind
    escalations = [action for action in due if action.kind == "escalation"]
    due = [action for action in due if action.kind != "escalation"]
    if escalations:
        top = max(escalations, key=lambda action: action.number)
        due.append(top)
        if not case.escalation_level:
            due.append(SlaAction("escalated", top.number))
    if any(action.kind == "chase" for action in due) and case.due_at is not None:
        chase_every = timedelta(hours=services.config.sla.chase_interval_hours)
        number = chase_number(case.due_at, now, chase_every)
        due = [SlaAction("chase", number) if action.kind == "chase" else action for action in due]
    return due


def mark_done(case: ClockedCase, actions: list[SlaAction], now: datetime) -> None:
    """Record on the case that ``actions`` were carried out at ``now`` (the once-only markers)."""
    for action in actions:
        if action.kind == "reminder":
            case.reminder_sent_at = now
        elif action.kind in ("overdue", "chase"):
            case.last_chase_at = now
        elif action.kind == "escalation":
            case.escalation_level = max(case.escalation_level or 0, action.number)


def chase_number(due: datetime, now: datetime, every: timedelta) -> int:
    """The chase slot of ``now`` (``every`` after the deadline is 1); chases ``every`` apart never share one."""
    if every <= timedelta(0):
        return 1
    return max(0, math.ceil((now - due) / every))


def _forget_notices(case: ClockedCase) -> None:
    case.escalation_level = 0
    case.last_chase_at = None


def _timeline(services: Services, case: ClockedCase, now: datetime) -> list[tuple[datetime, SlaAction]]:
    """Pending actions with the moment each falls due: every one due by ``now``, and the next one after it."""
    sla = services.config.sla
    status = CaseStatus(case.status)
    if status is CaseStatus.RESOLVED:
        if case.resolved_at is None:
            return []
        return [(case.resolved_at + timedelta(hours=sla.confirm_timeout_hours), SlaAction("close"))]
    if status not in CLOCK_RUNNING or case.due_at is None or case.clock_started_at is None:
        return []
    unit = case.clock_unit or "calendar_hours"
    calendar = calendar_of(services)
    due = case.due_at
    level = case.escalation_level or 0
    pending: list[tuple[datetime, SlaAction]] = []
    if case.reminder_sent_at is None and case.last_chase_at is None and level == 0 and now < due:
        remind = reminder_at(case.clock_started_at, due, sla.reminder_fraction, unit, calendar)
        if remind < due:
            pending.append((remind, SlaAction("reminder")))
    if case.last_chase_at is None:
        pending.append((due, SlaAction("overdue")))
    else:
        chase = case.last_chase_at + timedelta(hours=sla.chase_interval_hours)
        pending.append((_notify_at(calendar, unit, max(chase, due)), SlaAction("chase")))
    for number, after in enumerate(sla.escalation_after_hours, start=1):
        if number > level:
            when = _notify_at(calendar, unit, due + timedelta(hours=after))
            pending.append((when, SlaAction("escalation", number)))
            if when > now:
                break  # later levels come later still
    return pending


def _notify_at(calendar: MemoCalendar, unit: str, moment: datetime) -> datetime:
    """``moment``, or for working-clock cases the next moment inside working time (a period's end counts)."""
    if unit not in WORKING_UNITS:
        return moment
    return calendar.working_moment(moment)
