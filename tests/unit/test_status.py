"""The case state machine."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from models.cases import Case
from models.status import TRANSITIONS, CaseStatus, IllegalTransition, can_transition, transition

NOW = datetime(2026, 11, 16, 2, 0, tzinfo=UTC)


def new_case(status: CaseStatus = CaseStatus.SUBMITTED) -> Case:
    case = Case(id=7, reporter_id=1, category="0201", status=status, lat=39.9, lon=116.4, reported_at=NOW)
    case.events = []
    return case


def test_dispatch_stamps_time_and_records_who_moved_it() -> None:
    case = new_case()
    transition(case, CaseStatus.DISPATCHED, at=NOW, actor_id=None, action="dispatch")
    assert case.status == CaseStatus.DISPATCHED
    assert case.dispatched_at == NOW
    event = case.events[-1]
    assert (event.from_status, event.to_status, event.action, event.actor_id) == (
        CaseStatus.SUBMITTED,
        CaseStatus.DISPATCHED,
        "dispatch",
        None,
    )


def test_closed_case_cannot_be_accepted() -> None:
    case = new_case(CaseStatus.CLOSED)
    with pytest.raises(IllegalTransition):
        transition(case, CaseStatus.ACCEPTED, at=NOW, actor_id=3, action="accept")
    assert case.status == CaseStatus.CLOSED
    assert case.events == []


@pytest.mark.parametrize("target", [CaseStatus.RETURNED, CaseStatus.REJECTED])
@pytest.mark.parametrize("note", [None, "", "   "])
def test_return_and_reject_need_a_written_reason(target: CaseStatus, note: str | None) -> None:
    case = new_case(CaseStatus.RETURNED if target is CaseStatus.REJECTED else CaseStatus.DISPATCHED)
    with pytest.raises(IllegalTransition, match="reason"):
        transition(case, target, at=NOW, actor_id=3, action="x", note=note)


def test_suspend_and_resume_returns_to_the_previous_status() -> None:
    case = new_case(CaseStatus.ACCEPTED)
    transition(case, CaseStatus.SUSPENDED, at=NOW, actor_id=9, action="suspend", note="waiting for permit")
    assert case.suspended_from == CaseStatus.ACCEPTED and case.suspended_at == NOW
    transition(case, CaseStatus(case.suspended_from), at=NOW, actor_id=9, action="resume")
    assert case.status == CaseStatus.ACCEPTED and case.suspended_from is None


def test_rework_goes_back_from_resolved_only() -> None:
    assert can_transition(CaseStatus.RESOLVED, CaseStatus.REWORK)
    assert not can_transition(CaseStatus.DISPATCHED, CaseStatus.REWORK)


def test_terminal_statuses_have_no_way_out() -> None:
    for status in (CaseStatus.CLOSED, CaseStatus.REJECTED, CaseStatus.DUPLICATE):
        assert TRANSITIONS[status] == frozenset()


def test_every_status_is_in_the_table() -> None:
    assert set(TRANSITIONS) == set(CaseStatus)
