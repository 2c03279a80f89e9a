"""The reporter's check of a resolved case: "Fixed" closes it, "Not fixed" sends it back to rework (返工).

A reporter who does not answer in time is taken as satisfied: the SLA sweep closes the case unconfirmed.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from models.cases import Case
from models.status import CaseStatus, transition
from models.users import User
from services import case_cards, deadlines, notify
from services.cases.access import CaseActionError, current_handlers, lock_case, on_time
from services.cases.officer import handled_own_report
from services.context import Services
from services.i18n import N_
from services.intake_limits import BANNED

S = CaseStatus

ONLY_REPORTER = N_("Only the person who first reported case {number} can check the fix.")
OWN_FIX = N_(
    "You handled case {number} yourself, so you cannot confirm your own fix. Its supervisor checks it; "
    "otherwise it closes on its own after {hours} hours."
)


async def confirm(services: Services, session: AsyncSession, case_id: int, user: User, fixed: bool) -> Case:
    """The reporter's answer: "Fixed" closes the case, "Not fixed" sends it back to the same officer (返工)."""
    if user.banned:  # nothing a banned person sends is accepted, their answer to this question included
        raise CaseActionError(BANNED)
    case = await lock_case(session, case_id)
    if case.reporter_id != user.id:
        # A follower (who reported the same problem later) gets the news; the first reporter checks the fix.
        raise CaseActionError(ONLY_REPORTER, number=case.number)
    if S(case.status) is not S.RESOLVED:
        raise CaseActionError(N_("Case {number} is no longer waiting for your check."), number=case.number)
    if handled_own_report(case):
        hours = int(services.config.sla.confirm_timeout_hours)
        raise CaseActionError(OWN_FIX, number=case.number, hours=hours)
    now = services.clock.now()
    handlers = await current_handlers(session, case)
    if fixed:
        case.satisfied = True
        transition(case, S.CLOSED, at=now, actor_id=user.id, action="confirm")
        case.closed_on_time = on_time(case, case.resolved_at or now)
        case.next_check_at = None
        await notify.to_people(
            services,
            session,
            case,
            handlers,
            N_("The reporter confirmed case {number} is fixed. The case is closed (结案)."),
        )
        await notify.notify_followers(services, session, case, "closed", exclude_user_id=user.id)
        await case_cards.refresh_cards(services, session, case, answered_by=user.id)
        return case
    case.satisfied = False
    transition(case, S.REWORK, at=now, actor_id=user.id, action="rework")
    case.rework_count += 1
    deadlines.start_clock(services, case, now)
    headline = N_("Case {number} needs rework (返工): the reporter says the problem is not fixed.")
    await notify.assignment(services, session, case, handlers, headline, accepted=True)
    await notify.notify_followers(services, session, case, "rework", exclude_user_id=user.id)
    await case_cards.refresh_cards(services, session, case, answered_by=user.id)
    return case


async def close_unconfirmed(services: Services, session: AsyncSession, case: Case) -> bool:
    """Close a resolved case whose reporter did not answer in time (the SLA sweep calls this); idempotent."""
    if S(case.status) is not S.RESOLVED:
        return False
    now = services.clock.now()
    transition(case, S.CLOSED, at=now, actor_id=None, action="confirm_timeout")
    case.closed_on_time = on_time(case, case.resolved_at or now)
    case.next_check_at = None
    hours = int(services.config.sla.confirm_timeout_hours)
    await notify.to_people(
        services,
        session,
        case,
        await current_handlers(session, case),
        N_("Case {number} is closed (结案): the reporter did not answer within {hours} hours."),
        {"hours": hours},
    )
    await notify.notify_followers(services, session, case, "closed_unconfirmed", hours=hours)
    await case_cards.refresh_cards(services, session, case)
    return True
