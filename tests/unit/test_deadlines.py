"""A case's SLA clock: when reminders, overdue notices, chases and escalations fall due (no database)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from models.cases import Case
from models.db import Database
from models.status import CaseStatus
from services import deadlines
from services.clock import ManualClock
from services.config import SlaConfig, load_config
from services.context import Services
from services.deadlines import SlaAction, due_actions, mark_done, next_check

BEIJING = ZoneInfo("Asia/Shanghai")


def bj(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    """Beijing wall-clock time in November 2026 (16th is a Monday), as aware UTC."""
    return datetime(2026, month, day, hour, minute, tzinfo=BEIJING).astimezone(UTC)


@pytest.fixture
def services() -> Services:
    return Services.build(
        Database("sqlite+aiosqlite://"), load_config(), ManualClock(bj(11, 16, 10)), "Asia/Shanghai", Path("/nowhere")
    )


def dispatched(services: Services, category: str, at: datetime) -> Case:
    case = Case(
        id=7,
        reporter_id=1,
        category=category,
        status=CaseStatus.DISPATCHED,
        lat=39.9,
        lon=116.4,
        reported_at=at,
        unit_id="G1",
        chain="G1>C1>S1>D1",
        escalation_level=0,
        extension_count=0,
    )
    deadlines.start_clock(services, case, at)
    return case


def sweep_at(services: Services, case: Case, when: datetime) -> list[SlaAction]:
    """What a sweep at ``when`` would do, recorded as done (as the sweep does)."""
    actions = due_actions(services, case, when)
    mark_done(case, actions, when)
    deadlines.plan_next_check(services, case, when)
    return actions


def local(moment: datetime | None) -> str:
    assert moment is not None
    return moment.astimezone(BEIJING).strftime("%a %H:%M")


def test_reminder_at_three_quarters_of_working_time_across_lunch(services: Services) -> None:
    case = dispatched(services, "0102", bj(11, 16, 11))  # exposed litter: 4 working hours
    assert local(case.due_at) == "Mon 17:00"  # 11-12, then 14-17 after the lunch break
    assert local(case.next_check_at) == "Mon 16:00"  # 3 working hours: 11-12 and 14-16
    assert due_actions(services, case, bj(11, 16, 15, 59)) == []
    assert sweep_at(services, case, bj(11, 16, 16)) == [SlaAction("reminder")]
    assert local(case.next_check_at) == "Mon 17:00"


def test_reminder_and_deadline_across_a_weekend(services: Services) -> None:
    case = dispatched(services, "0102", bj(11, 20, 16))  # Friday 16:00
    assert case.due_at == bj(11, 23, 10)  # 2 h on Friday, 2 h on Monday morning
    assert case.next_check_at == bj(11, 23, 9)  # reminder 3 working hours in: Monday 09:00, not Saturday
    assert due_actions(services, case, bj(11, 22, 12)) == []


def test_emergency_clock_runs_through_the_night(services: Services) -> None:
    case = dispatched(services, "0505", bj(11, 21, 23))  # illegal parking, Saturday 23:00, 2 calendar hours
    assert case.due_at == bj(11, 22, 1)
    assert sweep_at(services, case, bj(11, 22, 0, 30)) == [SlaAction("reminder")]
    assert sweep_at(services, case, bj(11, 22, 1)) == [
        SlaAction("overdue"),
        SlaAction("escalation", 1),
        SlaAction("escalated", 1),  # the reporter's news, with the first escalation only
    ]
    assert case.next_check_at == bj(11, 22, 5)  # chase and level 2 four hours later, at night
    assert sweep_at(services, case, bj(11, 22, 5)) == [SlaAction("chase", 1), SlaAction("escalation", 2)]


def test_working_clock_escalates_and_chases_only_in_working_time(services: Services) -> None:
    case = dispatched(services, "0102", bj(11, 16, 11))
    sweep_at(services, case, bj(11, 16, 16))
    assert sweep_at(services, case, bj(11, 16, 17)) == [
        SlaAction("overdue"),
        SlaAction("escalation", 1),
        SlaAction("escalated", 1),
    ]
    assert local(case.next_check_at) == "Tue 08:00"  # 21:00 falls at night: the next morning instead
    assert due_actions(services, case, bj(11, 16, 23)) == []
    assert sweep_at(services, case, bj(11, 17, 8)) == [SlaAction("chase", 4), SlaAction("escalation", 2)]


def test_chase_is_capped_at_the_interval(services: Services) -> None:
    case = dispatched(services, "0505", bj(11, 16, 10))
    sent: list[datetime] = []
    moment = bj(11, 16, 10)
    while moment < bj(11, 17, 10):
        moment += timedelta(minutes=10)
        if any(a.kind in ("overdue", "chase") for a in sweep_at(services, case, moment)):
            sent.append(moment)
    gaps = {later - earlier for earlier, later in pairwise(sent)}
    assert sent[0] == bj(11, 16, 12)
    assert gaps == {timedelta(hours=4)}
    assert len(sent) == 6  # 12:00, 16:00, 20:00, 00:00, 04:00, 08:00


def test_chase_numbers_never_repeat_even_when_late() -> None:
    due = bj(11, 16, 12)
    every = timedelta(hours=4)
    moments = [due + timedelta(hours=h) for h in (4, 9, 13.5, 17.5, 30)]
    numbers = [deadlines.chase_number(due, moment, every) for moment in moments]
    assert numbers == sorted(set(numbers))
    assert numbers[0] == 1


def test_catch_up_after_downtime_sends_the_highest_level_only(services: Services) -> None:
    case = dispatched(services, "0102", bj(11, 16, 11))
    actions = sweep_at(services, case, bj(11, 19, 10))  # nothing ran for three days
    # No reminder, no levels 1 and 2; the reporter hears of the escalation once.
    assert actions == [SlaAction("overdue"), SlaAction("escalation", 3), SlaAction("escalated", 3)]
    assert case.escalation_level == 3
    assert due_actions(services, case, bj(11, 19, 10)) == []


def test_catch_up_after_the_overdue_notice_sends_one_chase(services: Services) -> None:
    case = dispatched(services, "0505", bj(11, 16, 10))
    sweep_at(services, case, bj(11, 16, 12))
    assert sweep_at(services, case, bj(11, 17, 20)) == [SlaAction("chase", 8), SlaAction("escalation", 3)]


def test_suspended_case_has_no_notices(services: Services) -> None:
    case = dispatched(services, "0505", bj(11, 16, 10))
    case.status = CaseStatus.SUSPENDED
    assert due_actions(services, case, bj(11, 20, 10)) == []
    assert next_check(services, case, bj(11, 16, 11)) is None


def test_resume_pushes_the_deadline_by_the_paused_working_time(services: Services) -> None:
    case = dispatched(services, "0102", bj(11, 16, 9))
    assert local(case.due_at) == "Mon 15:00"  # 9-12 and 14-15
    deadlines.resume_clock(services, case, bj(11, 16, 10), bj(11, 17, 10))  # paused a whole working day
    assert case.due_at == bj(11, 17, 15)


def test_extension_past_now_restarts_overdue_and_escalation(services: Services) -> None:
    case = dispatched(services, "0505", bj(11, 16, 10))
    sweep_at(services, case, bj(11, 16, 11, 30))
    sweep_at(services, case, bj(11, 16, 12))
    assert case.escalation_level == 1
    deadlines.extend(services, case, "4h", bj(11, 16, 13))
    assert case.due_at == bj(11, 16, 16)
    assert (case.escalation_level, case.last_chase_at, case.extension_count) == (0, None, 1)
    assert due_actions(services, case, bj(11, 16, 15)) == []  # the reminder was sent once already
    # A new deadline missed: escalated again, and the reporter told again.
    assert sweep_at(services, case, bj(11, 16, 16)) == [
        SlaAction("overdue"),
        SlaAction("escalation", 1),
        SlaAction("escalated", 1),
    ]


def test_extension_that_leaves_the_case_overdue_keeps_its_level(services: Services) -> None:
    case = dispatched(services, "0505", bj(11, 16, 10))
    sweep_at(services, case, bj(11, 16, 17))
    assert case.escalation_level == 2
    deadlines.extend(services, case, "1h", bj(11, 16, 17))
    assert case.escalation_level == 2


def test_resolved_case_is_closed_after_the_confirm_timeout_and_not_chased(services: Services) -> None:
    case = dispatched(services, "0505", bj(11, 16, 10))
    sweep_at(services, case, bj(11, 16, 12))
    case.status = CaseStatus.RESOLVED
    case.resolved_at = bj(11, 16, 13)
    deadlines.plan_next_check(services, case, bj(11, 16, 13))
    assert case.next_check_at == bj(11, 19, 13)  # 72 h to confirm
    assert due_actions(services, case, bj(11, 19, 12)) == []
    assert due_actions(services, case, bj(11, 19, 13)) == [SlaAction("close")]


def test_rework_starts_a_fresh_clock_with_fresh_notices(services: Services) -> None:
    case = dispatched(services, "0505", bj(11, 16, 10))
    sweep_at(services, case, bj(11, 16, 13))
    case.status = CaseStatus.REWORK
    deadlines.start_clock(services, case, bj(11, 16, 14))
    assert (case.reminder_sent_at, case.escalation_level, case.last_chase_at) == (None, 0, None)
    assert case.next_check_at == bj(11, 16, 15, 30)


def test_escalation_hours_must_ascend() -> None:
    with pytest.raises(ValidationError):
        SlaConfig(escalation_after_hours=[4, 0])
    with pytest.raises(ValidationError):
        SlaConfig(chase_interval_hours=0)
