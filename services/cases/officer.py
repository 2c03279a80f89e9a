"""What an officer does with a case: accept it, resolve it with after-photos, or return it (回退) as not theirs.

The first officer to accept owns the case; resolving or returning a dispatched case accepts it on the way. A
resolve or return is asked for first (``start_*``) and completed when the after-photo or reason arrives.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict

from sqlalchemy.ext.asyncio import AsyncSession

from models.cases import Case, Photo, PhotoKind
from models.status import CaseStatus, transition
from models.users import User
from services import case_cards, deadlines, notify, responsibility
from services.cases.access import (
    CaseActionError,
    chain_of,
    display_name,
    lock_case,
    require_fitting,
    require_handler,
    require_owner,
    require_reason,
    require_status,
)
from services.cases.dispatching import to_deciders
from services.cases.questions import ASK_RESOLVE_PHOTO, ASK_RETURN_REASON, ProofPhoto, ask, forget_input
from services.context import Services
from services.i18n import N_

S = CaseStatus

NEED_PHOTO = N_("Please send a photo of the fixed place: the after-photo is required.")
SELF_RESOLVED = N_(
    "Case {number} was resolved by the officer who reported it, so no reporter confirms it. Check it and "
    "close it with /close {number} <note>; otherwise it closes on its own after {hours} hours."
)


async def accept(services: Services, session: AsyncSession, case_id: int, user: User) -> Case:
    """The first officer to accept owns the case; the others' cards are updated to say who took it."""
    case = await lock_case(session, case_id)
    await _claim(services, session, case, user)
    return case


async def _claim(services: Services, session: AsyncSession, case: Case, user: User) -> None:
    await require_handler(session, user, case)
    if case.owner_id == user.id and S(case.status) in (S.ACCEPTED, S.REWORK, S.RESOLVED):
        raise CaseActionError(N_("You have already accepted case {number}."), number=case.number)
    if S(case.status) in (S.ACCEPTED, S.REWORK, S.RESOLVED):
        await require_owner(session, user, case)
    require_status(case, S.DISPATCHED)
    now = services.clock.now()
    transition(case, S.ACCEPTED, at=now, actor_id=user.id, action="accept")
    case.owner_id = user.id
    deadlines.plan_next_check(services, case, now)
    name = await display_name(session, user, case.unit_id)
    await notify.retire_cards(
        services,
        session,
        case,
        N_("Case {number} was taken by {name}."),
        {"name": name},
        reason="accept",
        keep_user_id=user.id,
    )
    await notify.notify_followers(services, session, case, "accepted")
    await case_cards.refresh_cards(services, session, case)


async def _require_workable(services: Services, session: AsyncSession, case: Case, user: User) -> None:
    """The presser may work on the case now; a dispatched case is accepted on the way."""
    await require_handler(session, user, case)
    if S(case.status) is S.DISPATCHED:
        await _claim(services, session, case, user)
        return
    if S(case.status) in (S.ACCEPTED, S.REWORK):
        await require_owner(session, user, case)
    require_status(case, S.ACCEPTED, S.REWORK)


async def start_resolve(services: Services, session: AsyncSession, case_id: int, user: User) -> Case:
    """Check the officer may resolve ``case_id`` (accepting it if needed) and ask for the after-photo."""
    case = await lock_case(session, case_id)
    await _require_workable(services, session, case, user)
    await ask(session, user, ASK_RESOLVE_PHOTO, case.id, services.clock.now())
    return case


async def resolve(
    services: Services,
    session: AsyncSession,
    case_id: int,
    user: User,
    photos: Sequence[ProofPhoto],
    note: str | None = None,
) -> Case:
    """Mark the case resolved with after-photos; the reporter and followers are asked whether it is fixed."""
    case = await lock_case(session, case_id)
    await require_handler(session, user, case)
    if S(case.status) is not S.DISPATCHED:
        await require_owner(session, user, case)
    if not photos:
        raise CaseActionError(NEED_PHOTO)
    note = require_fitting((note or "").strip()) or None
    await _require_workable(services, session, case, user)
    now = services.clock.now()
    for photo in photos:
        case.photos.append(Photo(kind=PhotoKind.PROOF, uploaded_by_id=user.id, created_at=now, **asdict(photo)))
    transition(case, S.RESOLVED, at=now, actor_id=user.id, action="resolve", note=note)
    deadlines.plan_next_check(services, case, now)  # the reporter's confirmation timeout
    await forget_input(session, user)
    if handled_own_report(case):
        # Nobody checks their own work: the reporter's question goes to no one; the supervisors above may close
        # the case (/close), else the confirmation timeout closes it.
        await notify.notify_followers(services, session, case, "resolved", exclude_user_id=user.id)
        hours = int(services.config.sla.confirm_timeout_hours)
        targets = await responsibility.escalation_targets(session, chain_of(case), 1)
        targets = targets or await notify.unrouted_dispatchers(session)
        await notify.to_supervisors(services, session, case, targets, SELF_RESOLVED, {"hours": hours})
        return case
    await notify.notify_followers(services, session, case, "resolved", note=note)
    await case_cards.refresh_cards(services, session, case)
    return case


def handled_own_report(case: Case) -> bool:
    """Whether the one who works on the case (its owner) reported it: they may not confirm their own fix."""
    return case.owner_id is not None and case.owner_id == case.reporter_id


async def start_return(services: Services, session: AsyncSession, case_id: int, user: User) -> Case:
    """Check the officer may return (回退) ``case_id`` and ask for the reason."""
    case = await lock_case(session, case_id)
    await _require_returnable(session, case, user)
    await ask(session, user, ASK_RETURN_REASON, case.id, services.clock.now())
    return case


async def _require_returnable(session: AsyncSession, case: Case, user: User) -> None:
    await require_handler(session, user, case)
    if S(case.status) in (S.ACCEPTED, S.REWORK):
        await require_owner(session, user, case)
    require_status(case, S.DISPATCHED, S.ACCEPTED, S.REWORK)


async def return_case(services: Services, session: AsyncSession, case_id: int, user: User, reason: str) -> Case:
    """回退: the unit says "not ours"; the parent unit's supervisors decide where the case goes."""
    case = await lock_case(session, case_id)
    await _require_returnable(session, case, user)
    reason = require_reason(reason, N_("returning a case (回退)"))
    now = services.clock.now()
    await notify.retire_cards(
        services, session, case, N_("Case {number} was returned (回退) to the supervisor."), reason="return"
    )
    transition(case, S.RETURNED, at=now, actor_id=user.id, action="return", note=reason)
    case.return_count += 1
    deadlines.plan_next_check(services, case, now)
    await forget_input(session, user)
    targets = await responsibility.escalation_targets(session, chain_of(case), 1)
    name = await display_name(session, user, case.unit_id)
    await to_deciders(
        services,
        session,
        case,
        targets or await notify.unrouted_dispatchers(session),
        N_("Case {number} was returned (回退) by {name}: {reason}"),
        {"name": name, "reason": reason},
    )
    await case_cards.refresh_cards(services, session, case)
    return case
