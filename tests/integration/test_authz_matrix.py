"""The authorisation matrix: every privileged choice and command × every role × fresh, stale and forged payloads.

The expected permissions are written out below, from the design (docs/conversation.md, services/cases/access.py's
docstrings, DOMAIN.md), not derived from the code under test:

- officers of the case's unit and the supervisors above it (and admins) work on a case: accept, resolve, return;
- supervisors above the case's unit (and admins) decide: assign, send back, reject, extend, suspend, resume, close;
- only the original reporter answers "Fixed" / "Not fixed"; followers get status news only; a banned person's
  answers are not accepted ("nothing you send is accepted");
- a report draft's choices belong to its owner alone;
- staff read a case (/case) only when they answer for it, and never see a citizen's name;
- a weekly report is anyone's to subscribe to in their own chat.

Each allowed action must show its effect; each refused one must answer and leave every row as it was (cases,
history, drafts, questions, outbox, subscriptions).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from sqlalchemy import select

from models.cases import CaseEvent, PendingInput
from models.status import CaseStatus
from models.uow import UnitOfWork
from services.context import Services
from services.conversation import Command, Event, Picked, Reply
from tests.integration.authz_world import R, World, build_world, changes, make_case, snapshot

S = CaseStatus
STAFF = frozenset({R.OFFICER, R.SUPERVISOR, R.ADMIN})  # who works on a case of G-1


#: Who may do what, read across: Y allowed, - refused. Columns: the roles in the order of ``R``; the banned person
#: acts on their own report.
PERMISSIONS = """
                 stranger citizen reporter follower officer other-officer supervisor other-supervisor admin banned
accept              -       -       -        -       Y          -           Y            -           Y     -
resolve             -       -       -        -       Y          -           Y            -           Y     -
return              -       -       -        -       Y          -           Y            -           Y     -
fixed               -       -       Y        -       -          -           -            -           -     -
notfixed            -       -       Y        -       -          -           -            -           -     -
sendback            -       -       -        -       -          -           Y            -           Y     -
reject-choice       -       -       -        -       -          -           Y            -           Y     -
assign-choice       -       -       -        -       -          -           Y            -           Y     -
/assign             -       -       -        -       -          -           Y            -           Y     -
/assign-elsewhere   -       -       -        -       -          -           -            -           Y     -
/extend             -       -       -        -       -          -           Y            -           Y     -
/suspend            -       -       -        -       -          -           Y            -           Y     -
/resume             -       -       -        -       -          -           Y            -           Y     -
/close              -       -       -        -       -          -           Y            -           Y     -
/reject             -       -       -        -       -          -           Y            -           Y     -
/case               -       -       -        -       Y          -           Y            -           Y     -
/tasks              -       -       -        -       Y          -           -            -           -     -
/queue              -       -       -        -       -          -           Y            -           Y     -
/my                 -       -       Y        -       -          -           -            -           -     Y
history-choice      -       -       Y        Y       -          -           -            -           -     Y
"""


def _read_permissions(grid: str) -> dict[str, frozenset[R]]:
    header, *lines = grid.strip().splitlines()
    assert header.split() == [role.name.lower().replace("_", "-") for role in R], "columns in the order of R"
    rows = [line.split() for line in lines]
    for name, *marks in rows:
        assert len(marks) == len(R), f"{name}: one mark per role"
        for role, mark in zip(R, marks, strict=True):
            assert mark in ("Y", "-"), (name, role, mark)
    return {name: frozenset(role for role, mark in zip(R, marks, strict=True) if mark == "Y") for name, *marks in rows}


ALLOWED = _read_permissions(PERMISSIONS)


@dataclass(frozen=True)
class Effect:
    """What an allowed action leaves behind: the case's status, its last history entry, the question asked."""

    status: CaseStatus
    last_action: str | None = None  # None: no new history entry
    asks: str | None = None  # the question the actor now has to answer


@dataclass(frozen=True)
class CaseRow:
    """One privileged action on a case of G-1: the state it is offered in, a state it no longer is, what it does."""

    name: str  # its line in PERMISSIONS
    fresh: CaseStatus  # the state in which the action makes sense
    stale: CaseStatus  # a state the case has moved on to: nobody may do it any more
    event: Callable[[int], Event]
    effect: Effect

    @property
    def allowed(self) -> frozenset[R]:
        return ALLOWED[self.name]


def pick(action: str, suffix: str = "") -> Callable[[int], Event]:
    return lambda case_id: Picked(f"case:{action}:{case_id}{suffix}")


def command(name: str, *rest: str) -> Callable[[int], Event]:
    return lambda case_id: Command(name, (str(case_id), *rest), f"/{name}")


def listing(name: str) -> Callable[[int], Event]:
    return lambda _: Command(name, (), f"/{name}")


D, A, RS, RT, SU, C = S.DISPATCHED, S.ACCEPTED, S.RESOLVED, S.RETURNED, S.SUSPENDED, S.CLOSED
CASE_ROWS: tuple[CaseRow, ...] = (
    CaseRow("accept", D, C, pick("accept"), Effect(A, "accept")),
    CaseRow("resolve", D, C, pick("resolve"), Effect(A, "accept", "resolve_photo")),
    CaseRow("return", D, C, pick("return"), Effect(D, None, "return_reason")),
    CaseRow("fixed", RS, C, pick("fixed"), Effect(C, "confirm")),
    CaseRow("notfixed", RS, C, pick("notfixed"), Effect(S.REWORK, "rework")),
    CaseRow("sendback", RT, D, pick("sendback"), Effect(D, "send_back")),
    CaseRow("reject-choice", RT, D, pick("reject"), Effect(RT, None, "reject_reason")),
    CaseRow("assign-choice", RT, C, pick("assign", ":G-1"), Effect(D, "reassign")),
    CaseRow("/assign", RT, C, command("assign", "G-1"), Effect(D, "reassign")),
    CaseRow("/assign-elsewhere", RT, C, command("assign", "G-2"), Effect(D, "reassign")),  # G-2 is not under C-1
    CaseRow("/extend", D, C, command("extend", "4h"), Effect(D, "extend")),
    CaseRow("/suspend", D, C, command("suspend", "road", "works"), Effect(SU, "suspend")),
    CaseRow("/resume", SU, D, command("resume"), Effect(D, "resume")),
    CaseRow("/close", D, C, command("close", "done", "by", "hand"), Effect(C, "close")),
    CaseRow("/reject", RT, D, command("reject", "not", "a", "problem"), Effect(S.REJECTED, "reject")),
)


@dataclass(frozen=True)
class ReadRow:
    """A look at a case: its line in PERMISSIONS says who is shown it; ``marker`` is only in a shown case's answer."""

    name: str
    state: CaseStatus
    event: Callable[[int], Event]
    marker: Callable[[int], str]

    @property
    def shown_to(self) -> frozenset[R]:
        return ALLOWED[self.name]


READ_ROWS: tuple[ReadRow, ...] = (
    ReadRow("/case", D, command("case"), lambda n: f"Case #{n}: "),
    ReadRow("/tasks", D, listing("tasks"), lambda n: f"#{n} · "),  # the officer's own units; supervisors: /queue
    ReadRow("/queue", RT, listing("queue"), lambda n: f"#{n} · "),
    ReadRow("/my", D, listing("my"), lambda n: f"#{n} · "),  # one's own reports
    ReadRow("history-choice", D, lambda n: Picked(f"my:case:{n}"), lambda n: f"Case #{n}: "),
)


def case_reporter(role: R) -> R:
    """Who reported the case a role acts on: the banned person acts on their own report."""
    return R.BANNED if role is R.BANNED else R.REPORTER


async def current(world: World, case_id: int, role: R) -> tuple[CaseStatus, str | None, str | None]:
    """The case's status and last history action, and the question ``role`` has open about it."""
    async with UnitOfWork(world.services.db) as uow:
        session = uow.session
        status = await session.scalar(
            select(CaseEvent.to_status).where(CaseEvent.case_id == case_id).order_by(CaseEvent.id.desc()).limit(1)
        )
        action = await session.scalar(
            select(CaseEvent.action).where(CaseEvent.case_id == case_id).order_by(CaseEvent.id.desc()).limit(1)
        )
        asked = None
        if role is not R.STRANGER:
            pending = await session.get(PendingInput, world.users[role])
            asked = pending.kind if pending is not None and pending.case_id == case_id else None
    assert status is not None
    return CaseStatus(status), action, asked


def refused_answer(world: World, event: Event, reply: Reply) -> str | None:
    """What is wrong with a refusal's answer (None: it is a proper refusal)."""
    if isinstance(event, Picked):
        if reply.alert is None or reply.edit is not None or reply.messages:
            return f"a refused choice must get an alert and nothing else, got {world.said(reply)!r}"
        return None
    return None if world.said(reply).strip() else "a refused command must be answered"


async def check_case_row(world: World, row: CaseRow, role: R, state: CaseStatus, allowed: bool) -> str | None:
    """Run ``row`` for ``role`` on a new case in ``state``; a description of what went wrong, or None."""
    case_id = await make_case(world, state, case_reporter(role))
    _, before_action, _ = await current(world, case_id, role)
    before = await snapshot(world)
    event = row.event(case_id)
    reply = await world.act(role, event)
    if not allowed:
        diff = changes(before, await snapshot(world))
        wrong = refused_answer(world, event, reply)
        if diff or wrong:
            return f"{row.name} by {role} on a {state} case must be refused with no change: {wrong or diff}"
        return None
    got = await current(world, case_id, role)
    want = (row.effect.status, row.effect.last_action or before_action, row.effect.asks)
    if got != want or reply.alert is not None:
        return f"{row.name} by {role} on a {state} case: expected {want}, got {got}; answer {world.said(reply)!r}"
    return None


@pytest.mark.parametrize("row", CASE_ROWS, ids=[r.name for r in CASE_ROWS])
async def test_case_actions_are_allowed_exactly_where_the_design_says(services: Services, row: CaseRow) -> None:
    world = await build_world(services)
    problems = []
    for role in R:
        problems.append(await check_case_row(world, row, role, row.fresh, role in row.allowed))
        problems.append(await check_case_row(world, row, role, row.stale, False))
    assert [p for p in problems if p] == []


@pytest.mark.parametrize("row", READ_ROWS, ids=[r.name for r in READ_ROWS])
async def test_a_case_is_shown_only_to_those_who_answer_for_it(services: Services, row: ReadRow) -> None:
    world = await build_world(services)
    problems = []
    for role in R:
        case_id = await make_case(world, row.state, case_reporter(role))
        before = await snapshot(world)
        reply = await world.act(role, row.event(case_id))
        said = world.said(reply)
        if (row.marker(case_id) in said) != (role in row.shown_to):
            problems.append(f"{row.name} for {role}: shown={role in row.shown_to} expected; answer {said!r}")
        if not said.strip():
            problems.append(f"{row.name} for {role}: no answer")
        if role in STAFF and any(world.sender(r).identity.first_name in said for r in (R.REPORTER, R.FOLLOWER)):
            problems.append(f"{row.name} for {role} names a citizen: {said!r}")
        if diff := changes(before, await snapshot(world)):
            problems.append(f"{row.name} for {role} changed rows: {diff}")
    assert problems == []
