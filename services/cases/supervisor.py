"""What a supervisor decides about a case: place it (reassign, send back, reject) and manage it while open.

Placing: after a return (回退) or for an unrouted case, a supervisor dispatches it to a unit, sends it back to the
same unit, or rejects it with a reason. Managing: extend the deadline (延期), suspend (挂账) and resume its clock,
or close it (结案) on the handler's behalf. Only supervisors of a unit in the case's chain, or admins, may act.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from models.cases import Case, CaseEvent, RoutedBy
from models.grid import GridUnit
from models.status import CLOCK_RUNNING, CaseStatus, transition
from models.users import User
from services import case_cards, deadlines, notify
from services.cases.access import (
    CaseActionError,
    chain_of,
    current_handlers,
    get_case,
    lock_case,
    on_time,
    require_reason,
    require_status,
    require_supervisor,
    supervises_unit,
)
from services.cases.dispatching import covered_nearby, dispatch_to
from services.cases.questions import ASK_REJECT_REASON, ask, forget_input
from services.context import Services
from services.i18n import N_
from services.messages import Choice, text, when
from services.routing import unit_chain

S = CaseStatus
#: Where a case can be moved from to another unit.
MOVABLE = (S.UNROUTED, S.RETURNED, S.DISPATCHED, S.ACCEPTED)

PLACED = N_("Case {number} was already placed: it is {status} now. /assign can still move it.")
OUTSIDE = N_("{unit} is outside the area you supervise: you can dispatch only to units you cover.")


async def place(services: Services, session: AsyncSession, case_id: int, user: User, unit_id: str) -> Case:
    """A placing card's "Assign to …": ``reassign``, refused once the case no longer needs placing (a stale card)."""
    case = await lock_case(session, case_id)
    await require_supervisor(session, user, case)
    if not await case_cards.needs_placing(session, case):
        raise CaseActionError(PLACED, number=case.number, status=case.status)
    return await reassign(services, session, case_id, user, unit_id)


async def reassign(services: Services, session: AsyncSession, case_id: int, user: User, unit_id: str) -> Case:
    """Dispatch the case to ``unit_id`` (a supervisor's decision after a return, or for an unrouted case)."""
    case = await lock_case(session, case_id)
    await require_supervisor(session, user, case)
    require_status(case, *MOVABLE)
    unit = await session.get(GridUnit, unit_id.strip())
    if unit is None or not unit.active:
        raise CaseActionError(N_("There is no unit {unit}."), unit=unit_id[:64])
    chain = await unit_chain(session, unit.id)
    if not await supervises_unit(session, user, chain):
        raise CaseActionError(OUTSIDE, unit=unit.name)
    await notify.retire_cards(
        services, session, case, N_("Case {number} was reassigned to another unit."), reason="reassign"
    )
    await dispatch_to(
        services,
        session,
        case,
        unit.id,
        chain,
        RoutedBy.MANUAL,
        None,
        actor_id=user.id,
        action="reassign",
    )
    await forget_input(session, user)
    await notify.notify_followers(services, session, case, "dispatched", unit=unit.name)
    await case_cards.refresh_cards(services, session, case)
    return case


async def send_back(services: Services, session: AsyncSession, case_id: int, user: User) -> Case:
    """Refuse a return: the case goes back to the same unit with a fresh deadline."""
    case = await lock_case(session, case_id)
    await require_supervisor(session, user, case)
    require_status(case, S.RETURNED)
    if case.unit_id is None or await session.get(GridUnit, case.unit_id) is None:
        raise CaseActionError(N_("There is no unit {unit}."), unit=case.unit_id or "—")
    headline = N_("Case {number} was sent back to your unit by the supervisor. Please handle it.")
    await dispatch_to(
        services,
        session,
        case,
        case.unit_id,
        chain_of(case),
        RoutedBy(case.routed_by),
        case.snap_distance_m,
        actor_id=user.id,
        action="send_back",
        headline=headline,
    )
    await case_cards.refresh_cards(services, session, case)
    return case


async def start_reject(services: Services, session: AsyncSession, case_id: int, user: User) -> Case:
    """Check the supervisor may reject ``case_id`` and ask for the reason."""
    case = await lock_case(session, case_id)
    await require_supervisor(session, user, case)
    require_status(case, S.UNROUTED, S.RETURNED)
    await ask(session, user, ASK_REJECT_REASON, case.id, services.clock.now())
    return case


async def reject(services: Services, session: AsyncSession, case_id: int, user: User, reason: str) -> Case:
    """Decline the case for good, with a reason the reporter is told."""
    case = await lock_case(session, case_id)
    await require_supervisor(session, user, case)
    require_status(case, S.UNROUTED, S.RETURNED)
    reason = require_reason(reason, N_("rejecting a case"))
    transition(case, S.REJECTED, at=services.clock.now(), actor_id=user.id, action="reject", note=reason)
    case.next_check_at = None
    await forget_input(session, user)
    await notify.notify_followers(services, session, case, "rejected", reason=reason)
    await case_cards.refresh_cards(services, session, case)
    return case


async def reassign_choices(session: AsyncSession, case_id: int, user: User) -> tuple[Case, notify.Choices]:
    """The units a supervisor may move the case to (nothing changes until one is picked): ``case:move`` choices,
    which reassign the case whether or not it waits to be placed (an escalated case usually has a unit)."""
    case = await get_case(session, case_id)
    await require_supervisor(session, user, case)
    require_status(case, *MOVABLE)
    units = await covered_nearby(session, case, user)
    return case, tuple((Choice(text("Assign to {unit}", unit=u.name), f"case:move:{case.id}:{u.id}"),) for u in units)


async def extend_deadline(
    services: Services, session: AsyncSession, case_id: int, user: User, amount: str, *, seen_due: int | None = None
) -> datetime:
    """延期: move the deadline later by ``amount`` ("4h", "1d") on the case's own clock; returns the new one.

    ``seen_due`` (whole minutes since the epoch) is the deadline a choice was offered under: when the deadline has
    moved since (a second press of the same choice, a colleague's extension), nothing is extended again."""
    case = await lock_case(session, case_id)
    await require_supervisor(session, user, case)
    require_status(case, *CLOCK_RUNNING, S.SUSPENDED)
    if seen_due is not None and (case.due_at is None or int(case.due_at.timestamp()) // 60 != seen_due):
        raise CaseActionError(
            N_("The deadline of case {number} has changed since this choice was offered; it is now {deadline}. "
               "To move it again, send /extend {id} and a time."),
            number=case.number, deadline=when(case.due_at) if case.due_at else "—", id=case.id,
        )  # fmt: skip
    now = services.clock.now()
    try:
        due = deadlines.extend(services, case, amount.strip().lower(), now)
    except deadlines.ExtensionTooLong as err:
        raise CaseActionError(err.message, **err.values) from None
    except ValueError:
        raise CaseActionError(
            N_("I don't understand the time {amount}. Use for example 4h or 1d."), amount=amount
        ) from None
    _note_event(case, "extend", now, user.id, f"+{amount.strip()}")
    await notify.to_people(
        services,
        session,
        case,
        await current_handlers(session, case),
        N_("The deadline of case {number} was extended (延期) to {deadline}."),
        {"deadline": when(due)},
    )
    await case_cards.refresh_cards(services, session, case)
    return due


async def suspend(services: Services, session: AsyncSession, case_id: int, user: User, reason: str) -> Case:
    """挂账: put the case on hold with a reason; its clock stops until it is resumed."""
    case = await lock_case(session, case_id)
    await require_supervisor(session, user, case)
    require_status(case, S.DISPATCHED, S.ACCEPTED, S.REWORK)
    reason = require_reason(reason, N_("suspending a case (挂账)"))
    now = services.clock.now()
    transition(case, S.SUSPENDED, at=now, actor_id=user.id, action="suspend", note=reason)
    deadlines.plan_next_check(services, case, now)
    await notify.to_people(
        services,
        session,
        case,
        await current_handlers(session, case),
        N_("Case {number} is suspended (挂账): {reason}. Its clock is paused."),
        {"reason": reason},
    )
    await notify.notify_followers(services, session, case, "suspended", reason=reason)
    await case_cards.refresh_cards(services, session, case)
    return case


async def resume(services: Services, session: AsyncSession, case_id: int, user: User) -> Case:
    """End a suspension: the case returns to where it was and its deadline moves by the paused time."""
    case = await lock_case(session, case_id)
    await require_supervisor(session, user, case)
    require_status(case, S.SUSPENDED)
    now = services.clock.now()
    paused_from = case.suspended_at or now
    transition(case, S(case.suspended_from or S.DISPATCHED), at=now, actor_id=user.id, action="resume")
    deadlines.resume_clock(services, case, paused_from, now)
    await notify.to_people(
        services,
        session,
        case,
        await current_handlers(session, case),
        N_("Case {number} is active again. New deadline: {deadline}."),
        {"deadline": when(case.due_at)},
    )
    await notify.notify_followers(services, session, case, "resumed")
    await case_cards.refresh_cards(services, session, case)
    return case


async def close_on_behalf(services: Services, session: AsyncSession, case_id: int, user: User, note: str) -> Case:
    """A supervisor closes (结案) an open case for its handler, with a note saying why."""
    case = await lock_case(session, case_id)
    await require_supervisor(session, user, case)
    require_status(case, S.DISPATCHED, S.ACCEPTED, S.REWORK, S.RESOLVED, S.RETURNED, S.SUSPENDED)
    note = require_reason(note, N_("closing a case for someone"))
    now = services.clock.now()
    done_at = case.resolved_at if S(case.status) is S.RESOLVED and case.resolved_at else now
    await notify.retire_cards(
        services, session, case, N_("Case {number} was closed by the supervisor."), reason="close"
    )
    handlers = await current_handlers(session, case)
    transition(case, S.CLOSED, at=now, actor_id=user.id, action="close", note=note)
    case.closed_on_time = on_time(case, done_at)
    case.next_check_at = None
    await notify.to_people(
        services,
        session,
        case,
        [h for h in handlers if h.id != user.id],
        N_("Case {number} was closed (结案) by the supervisor: {note}"),
        {"note": note},
    )
    await notify.notify_followers(services, session, case, "closed_by_supervisor", note=note)
    await case_cards.refresh_cards(services, session, case)
    return case


def _note_event(case: Case, action: str, at: datetime, actor_id: int | None, note: str | None) -> None:
    """History for a change that keeps the status (an extension)."""
    status = S(case.status)
    event = CaseEvent(
        case_id=case.id, at=at, actor_id=actor_id, from_status=status, to_status=status, action=action, note=note
    )
    case.events.append(event)
