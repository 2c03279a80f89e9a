"""Case use cases: dispatch, and what officers, reporters and supervisors do with a case.

Each action takes plain values, loads the case under a row lock (so concurrent presses take turns: the first
wins, the rest see the new status), checks role, responsibility and status in the database, moves the case
through ``transition()`` and queues the notifications it causes in the same transaction. A user's mistake raises
``CaseActionError`` carrying a message id the adapter translates; nothing is changed then.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from models.cases import Case, CaseEvent, CaseFollower, PendingInput, Photo, PhotoKind, RoutedBy
from models.grid import BindingRole, GridUnit, OfficerBinding, UnitLevel
from models.status import CLOCK_RUNNING, CaseStatus, transition
from models.users import Role, User
from services import deadlines, notify, responsibility
from services.context import Services
from services.i18n import N_, Translator
from services.routing import unit_chain

if TYPE_CHECKING:
    from services.routing import RouteDecision

S = CaseStatus

NOT_RESPONSIBLE = N_("You are not responsible for case {number}.")
NOT_NOW = N_("Case {number} is {status} and cannot be changed now.")
TAKEN = N_("Case {number} was already taken by {name}.")
NEED_PHOTO = N_("Please send a photo of the fixed place: the after-photo is required.")
NEED_REASON = N_("Please give a reason: {action} needs a written reason.")

# Questions the bot asks and waits for (PendingInput.kind).
ASK_RESOLVE_PHOTO = "resolve_photo"
ASK_RESOLVE_NOTE = "resolve_note"
ASK_RETURN_REASON = "return_reason"
ASK_REJECT_REASON = "reject_reason"


class CaseActionError(Exception):
    """A user asked for something the case or their role does not allow; ``message`` is a msgid."""

    def __init__(self, message: str, **values: object) -> None:
        super().__init__(message)
        self.message = message
        self.values = values

    def render(self, t: Translator) -> str:
        """The error in the reader's language."""
        values = {k: notify.status_label(str(v), t) if k == "status" else v for k, v in self.values.items()}
        if "action" in values:
            values["action"] = t(str(values["action"]))
        return t(self.message, **values)


@dataclass(frozen=True)
class ProofPhoto:
    """An after-photo as the chat platform describes it."""

    file_id: str
    file_unique_id: str = ""
    width: int | None = None
    height: int | None = None
    file_size: int | None = None


# ---------------------------------------------------------------- loading, locking and who may act
async def get_case(session: AsyncSession, case_id: int) -> Case:
    """The case with ``case_id``; raises ``CaseActionError`` if there is none."""
    case = await session.get(Case, case_id)
    if case is None:
        raise CaseActionError(N_("There is no case #{id}."), id=case_id)
    return case


async def lock_case(session: AsyncSession, case_id: int) -> Case:
    """Load the case for a change and hold its row until commit, so concurrent changes take turns."""
    query = select(Case).where(Case.id == case_id).execution_options(populate_existing=True)
    if session.get_bind().dialect.name == "sqlite":
        # SQLite has no row locks; a write takes the database's write lock, which serialises writers.
        await session.execute(
            update(Case).where(Case.id == case_id).values(id=Case.id).execution_options(synchronize_session=False)
        )
    else:
        query = query.with_for_update()
    case = await session.scalar(query)
    if case is None:
        raise CaseActionError(N_("There is no case #{id}."), id=case_id)
    return case


def chain_of(case: Case) -> list[str]:
    """The case's unit and its ancestors, lowest first."""
    return [unit for unit in case.chain.split(">") if unit] or ([case.unit_id] if case.unit_id else [])


async def is_officer_of(session: AsyncSession, user: User, unit_id: str | None) -> bool:
    """Whether ``user`` is bound as officer to exactly ``unit_id``."""
    if unit_id is None:
        return False
    query = select(OfficerBinding.id).where(
        OfficerBinding.user_id == user.id, OfficerBinding.unit_id == unit_id, OfficerBinding.role == BindingRole.OFFICER
    )
    return await session.scalar(query.limit(1)) is not None


async def supervises(session: AsyncSession, user: User, case: Case) -> bool:
    """Admins; supervisors of a unit in the case's chain; for unrouted cases, supervisors of a district."""
    if user.role == Role.ADMIN:
        return True
    query = select(OfficerBinding.id).where(
        OfficerBinding.user_id == user.id, OfficerBinding.role == BindingRole.SUPERVISOR
    )
    chain = chain_of(case)
    if chain:
        query = query.where(OfficerBinding.unit_id.in_(chain))
    else:
        query = query.join(GridUnit, GridUnit.id == OfficerBinding.unit_id).where(GridUnit.level == UnitLevel.DISTRICT)
    return await session.scalar(query.limit(1)) is not None


async def is_follower(session: AsyncSession, user: User, case: Case) -> bool:
    """Whether ``user`` reported or follows ``case``."""
    if case.reporter_id == user.id:
        return True
    query = select(CaseFollower.user_id).where(CaseFollower.case_id == case.id, CaseFollower.user_id == user.id)
    return await session.scalar(query) is not None


async def display_name(session: AsyncSession, user: User, unit_id: str | None = None) -> str:
    """How colleagues see ``user``: the binding's display name (preferring ``unit_id``'s), else the first name."""
    query = select(OfficerBinding.display_name, OfficerBinding.unit_id).where(
        OfficerBinding.user_id == user.id, OfficerBinding.display_name != ""
    )
    names = {row.unit_id: row.display_name for row in await session.execute(query)}
    return names.get(unit_id or "") or next(iter(names.values()), "") or user.first_name or f"#{user.id}"


async def _require_handler(session: AsyncSession, user: User, case: Case) -> None:
    """Officers of the case's unit and its supervisors may work on it; anyone else is refused."""
    if not (await is_officer_of(session, user, case.unit_id) or await supervises(session, user, case)):
        raise CaseActionError(NOT_RESPONSIBLE, number=case.number)


async def _require_supervisor(session: AsyncSession, user: User, case: Case) -> None:
    if not await supervises(session, user, case):
        raise CaseActionError(NOT_RESPONSIBLE, number=case.number)


def _require_status(case: Case, *allowed: CaseStatus) -> None:
    if S(case.status) not in allowed:
        raise CaseActionError(NOT_NOW, number=case.number, status=case.status)


async def _require_owner(session: AsyncSession, user: User, case: Case) -> None:
    """A case someone accepted is theirs alone."""
    if case.owner_id is not None and case.owner_id != user.id:
        owner = await session.get(User, case.owner_id)
        name = await display_name(session, owner, case.unit_id) if owner else "?"
        raise CaseActionError(TAKEN, number=case.number, name=name)


def _reason(text: str | None, action: str) -> str:
    reason = (text or "").strip()
    if not reason:
        raise CaseActionError(NEED_REASON, action=action)
    return reason


def _on_time(case: Case, done_at: datetime) -> bool | None:
    """Whether the work was done by the deadline (waiting for the reporter's check does not count)."""
    return None if case.due_at is None else done_at <= case.due_at


def _note_event(case: Case, action: str, at: datetime, actor_id: int | None, note: str | None) -> None:
    """History for a change that keeps the status (an extension)."""
    status = S(case.status)
    event = CaseEvent(
        case_id=case.id, at=at, actor_id=actor_id, from_status=status, to_status=status, action=action, note=note
    )
    case.events.append(event)


async def _handlers(session: AsyncSession, case: Case) -> list[User]:
    """Who works on the case now: its owner, else the unit's officers."""
    if case.owner_id is not None:
        owner = await session.get(User, case.owner_id)
        return [owner] if owner is not None else []
    return await responsibility.officers_of(session, case.unit_id) if case.unit_id else []


# ---------------------------------------------------------------- dispatch
async def dispatch(
    services: Services, session: AsyncSession, case: Case, decision: RouteDecision, *, actor_id: int | None = None
) -> None:
    """Store the routing decision on ``case`` and dispatch it (or park it in the dispatcher queue).

    Routed: the clock starts and every officer of the unit gets the assignment. A unit without officers still
    counts as dispatched; its supervisors (or, failing those, the nearest supervisors up the chain, or the
    admins) get the case instead. Unrouted: supervisors of district-level units and admins are told. The
    reporter's own confirmation is the intake's reply, so followers are not notified here.
    """
    if case.id is None:
        session.add(case)
        await session.flush()
    if decision.unit_id is None:
        case.unit_id, case.chain, case.routed_by = None, "", RoutedBy.UNROUTED
        case.snap_distance_m = None
        transition(case, S.UNROUTED, at=services.clock.now(), actor_id=actor_id, action="unrouted")
        headline = N_("Case {number} could not be routed to a grid. Assign it with /assign.")
        await notify.to_supervisors(
            services,
            session,
            case,
            await notify.unrouted_dispatchers(session),
            headline,
            buttons=await _assign_buttons(session, case),
        )
        return
    await _dispatch_to(
        services,
        session,
        case,
        decision.unit_id,
        tuple(decision.chain),
        decision.routed_by,
        decision.snap_distance_m,
        actor_id=actor_id,
        action="dispatch",
    )


async def _dispatch_to(
    services: Services,
    session: AsyncSession,
    case: Case,
    unit_id: str,
    chain: Sequence[str],
    routed_by: RoutedBy,
    snap_distance_m: float | None,
    *,
    actor_id: int | None,
    action: str,
    headline: str = N_("New case for your grid."),
) -> None:
    now = services.clock.now()
    case.unit_id, case.chain, case.routed_by, case.snap_distance_m = (
        unit_id,
        ">".join(chain),
        routed_by,
        snap_distance_m,
    )
    case.owner_id = None
    transition(case, S.DISPATCHED, at=now, actor_id=actor_id, action=action)
    deadlines.start_clock(services, case, now)
    officers = await responsibility.officers_of(session, unit_id)
    if officers:
        await notify.assignment(services, session, case, officers, headline)
        return
    supervisors = await responsibility.escalation_targets(session, list(chain), 0)
    headline = N_("Case {number} was dispatched to a unit with no officers bound. Please assign it.")
    await notify.to_supervisors(
        services,
        session,
        case,
        supervisors or await notify.unrouted_dispatchers(session),
        headline,
        buttons=await _assign_buttons(session, case),
    )


# ---------------------------------------------------------------- questions the bot waits for
async def ask(session: AsyncSession, user: User, kind: str, case_id: int, now: datetime, **data: object) -> None:
    """Remember that the bot asked ``user`` a question about ``case_id`` (replacing any earlier question)."""
    pending = await session.get(PendingInput, user.id)
    if pending is None:
        pending = PendingInput(user_id=user.id, kind=kind, case_id=case_id, created_at=now)
        session.add(pending)
    pending.kind, pending.case_id, pending.created_at = kind, case_id, now
    pending.data = json.dumps(data, ensure_ascii=False)
    await session.flush()


async def pending_input(session: AsyncSession, user: User) -> PendingInput | None:
    """The question ``user`` still has to answer, if any."""
    return await session.get(PendingInput, user.id)


async def forget_input(session: AsyncSession, user: User) -> None:
    """Drop ``user``'s open question."""
    pending = await session.get(PendingInput, user.id)
    if pending is not None:
        await session.delete(pending)
        await session.flush()


def staged_photos(pending: PendingInput) -> list[ProofPhoto]:
    """After-photos already sent in answer to the resolve question."""
    return [ProofPhoto(**item) for item in json.loads(pending.data or "{}").get("photos", [])]


async def stage_proof_photo(
    session: AsyncSession,
    user: User,
    pending: PendingInput,
    photo: ProofPhoto,
    *,
    group: str | None = None,
    note: str | None = None,
) -> bool:
    """Keep an after-photo (and its caption) and move on to the optional note.

    Returns whether the photo starts a new message or album, i.e. whether the user should be answered: the
    other photos of an album arrive as separate messages and need no answer each.
    """
    data = json.loads(pending.data or "{}")
    photos = [*data.get("photos", []), asdict(photo)][:10]
    new_message = group is None or data.get("group") != group
    data.update(photos=photos, group=group)
    if note:
        data["note"] = note
    pending.kind = ASK_RESOLVE_NOTE
    pending.data = json.dumps(data, ensure_ascii=False)
    await session.flush()
    return new_message


def staged_note(pending: PendingInput) -> str | None:
    """A caption sent with the after-photos, used as the note unless the officer types another."""
    return json.loads(pending.data or "{}").get("note") or None


# ---------------------------------------------------------------- officer actions
async def accept(services: Services, session: AsyncSession, case_id: int, user: User) -> Case:
    """The first officer to accept owns the case; the others' cards are updated to say who took it."""
    case = await lock_case(session, case_id)
    await _claim(services, session, case, user)
    return case


async def _claim(services: Services, session: AsyncSession, case: Case, user: User) -> None:
    await _require_handler(session, user, case)
    if case.owner_id == user.id and S(case.status) in (S.ACCEPTED, S.REWORK, S.RESOLVED):
        raise CaseActionError(N_("You have already accepted case {number}."), number=case.number)
    if S(case.status) in (S.ACCEPTED, S.REWORK, S.RESOLVED):
        await _require_owner(session, user, case)
    _require_status(case, S.DISPATCHED)
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


async def _require_workable(services: Services, session: AsyncSession, case: Case, user: User) -> None:
    """The presser may work on the case now; a dispatched case is accepted on the way."""
    await _require_handler(session, user, case)
    if S(case.status) is S.DISPATCHED:
        await _claim(services, session, case, user)
        return
    if S(case.status) in (S.ACCEPTED, S.REWORK):
        await _require_owner(session, user, case)
    _require_status(case, S.ACCEPTED, S.REWORK)


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
    await _require_handler(session, user, case)
    if S(case.status) is not S.DISPATCHED:
        await _require_owner(session, user, case)
    if not photos:
        raise CaseActionError(NEED_PHOTO)
    await _require_workable(services, session, case, user)
    now = services.clock.now()
    for photo in photos:
        case.photos.append(Photo(kind=PhotoKind.PROOF, uploaded_by_id=user.id, created_at=now, **asdict(photo)))
    note = (note or "").strip() or None
    transition(case, S.RESOLVED, at=now, actor_id=user.id, action="resolve", note=note)
    deadlines.plan_next_check(services, case, now)  # the reporter's confirmation timeout
    await forget_input(session, user)
    await notify.notify_followers(services, session, case, "resolved", note=note)
    return case


async def start_return(services: Services, session: AsyncSession, case_id: int, user: User) -> Case:
    """Check the officer may return (回退) ``case_id`` and ask for the reason."""
    case = await lock_case(session, case_id)
    await _require_returnable(session, case, user)
    await ask(session, user, ASK_RETURN_REASON, case.id, services.clock.now())
    return case


async def _require_returnable(session: AsyncSession, case: Case, user: User) -> None:
    await _require_handler(session, user, case)
    if S(case.status) in (S.ACCEPTED, S.REWORK):
        await _require_owner(session, user, case)
    _require_status(case, S.DISPATCHED, S.ACCEPTED, S.REWORK)


async def return_case(services: Services, session: AsyncSession, case_id: int, user: User, reason: str) -> Case:
    """回退: the unit says "not ours"; the parent unit's supervisors decide where the case goes."""
    case = await lock_case(session, case_id)
    await _require_returnable(session, case, user)
    reason = _reason(reason, N_("returning a case (回退)"))
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
    await notify.to_supervisors(
        services,
        session,
        case,
        targets or await notify.unrouted_dispatchers(session),
        N_("Case {number} was returned (回退) by {name}: {reason}"),
        {"name": name, "reason": reason},
        buttons=await _assign_buttons(session, case),
    )
    return case


# ---------------------------------------------------------------- the reporter's check
async def confirm(services: Services, session: AsyncSession, case_id: int, user: User, fixed: bool) -> Case:
    """The reporter's answer: "Fixed" closes the case, "Not fixed" sends it back to the same officer (返工)."""
    case = await lock_case(session, case_id)
    if not await is_follower(session, user, case):
        raise CaseActionError(N_("Only the people who reported case {number} can answer this."), number=case.number)
    if S(case.status) is not S.RESOLVED:
        raise CaseActionError(N_("Case {number} is no longer waiting for your check."), number=case.number)
    now = services.clock.now()
    handlers = await _handlers(session, case)
    if fixed:
        case.satisfied = True
        transition(case, S.CLOSED, at=now, actor_id=user.id, action="confirm")
        case.closed_on_time = _on_time(case, case.resolved_at or now)
        case.next_check_at = None
        await notify.to_people(
            services,
            session,
            case,
            handlers,
            N_("The reporter confirmed case {number} is fixed. The case is closed (结案)."),
        )
        await notify.notify_followers(services, session, case, "closed", exclude_user_id=user.id)
        return case
    case.satisfied = False
    transition(case, S.REWORK, at=now, actor_id=user.id, action="rework")
    case.rework_count += 1
    deadlines.start_clock(services, case, now)
    headline = N_("Case {number} needs rework (返工): the reporter says the problem is not fixed.")
    await notify.assignment(services, session, case, handlers, headline, accepted=True)
    await notify.notify_followers(services, session, case, "rework", exclude_user_id=user.id)
    return case


async def close_unconfirmed(services: Services, session: AsyncSession, case: Case) -> bool:
    """Close a resolved case whose reporter did not answer in time (the SLA sweep calls this); idempotent."""
    if S(case.status) is not S.RESOLVED:
        return False
    now = services.clock.now()
    transition(case, S.CLOSED, at=now, actor_id=None, action="confirm_timeout")
    case.closed_on_time = _on_time(case, case.resolved_at or now)
    case.next_check_at = None
    hours = int(services.config.sla.confirm_timeout_hours)
    await notify.to_people(
        services,
        session,
        case,
        await _handlers(session, case),
        N_("Case {number} is closed (结案): the reporter did not answer within {hours} hours."),
        {"hours": hours},
    )
    await notify.notify_followers(services, session, case, "closed_unconfirmed", hours=hours)
    return True


# ---------------------------------------------------------------- supervisor actions
async def nearby_units(session: AsyncSession, case: Case, limit: int = 5) -> list[GridUnit]:
    """Units to offer for reassignment: the current unit's siblings, then the nearest units by centroid."""
    current = await session.get(GridUnit, case.unit_id) if case.unit_id else None
    level = current.level if current is not None else UnitLevel.GRID
    found: list[GridUnit] = []
    if current is not None and current.parent_id is not None:
        siblings = select(GridUnit).where(GridUnit.parent_id == current.parent_id, GridUnit.active.is_(True))
        found = [u for u in await session.scalars(siblings.order_by(GridUnit.id)) if u.id != current.id]
    for span in (0.02, 0.2, 2.0):  # degrees: widen the box until enough units turn up
        if len(found) >= limit:
            break
        box = select(GridUnit).where(
            GridUnit.level == level,
            GridUnit.active.is_(True),
            GridUnit.centroid_lat.between(case.lat - span, case.lat + span),
            GridUnit.centroid_lon.between(case.lon - span, case.lon + span),
        )
        found += [u for u in await session.scalars(box) if u.id != case.unit_id and u not in found]
    found.sort(key=lambda u: _squared_distance(case, u))
    siblings_first = [u for u in found if current and u.parent_id == current.parent_id]
    return (siblings_first + [u for u in found if u not in siblings_first])[:limit]


def _squared_distance(case: Case, unit: GridUnit) -> float:
    if unit.centroid_lat is None or unit.centroid_lon is None:
        return float("inf")
    return (unit.centroid_lat - case.lat) ** 2 + (unit.centroid_lon - case.lon) ** 2


async def _assign_buttons(session: AsyncSession, case: Case) -> notify.ButtonRows:
    """Buttons a supervisor gets with a case to place: nearby units, and what its status allows besides."""
    units = [(u.name, f"case:assign:{case.id}:{u.id}") for u in await nearby_units(session, case)]
    units = [(name, data) for name, data in units if len(data.encode()) <= 64]
    status = S(case.status)

    def rows(t: Translator) -> list[list[tuple[str, str]]]:
        keyboard = [[(t("Assign to {unit}", unit=name), data)] for name, data in units]
        last = []
        if status is S.RETURNED:
            last.append((t("Send back"), f"case:sendback:{case.id}"))
        if status in (S.RETURNED, S.UNROUTED):
            last.append((t("Reject"), f"case:reject:{case.id}"))
        return [*keyboard, last] if last else keyboard

    return rows


async def reassign(services: Services, session: AsyncSession, case_id: int, user: User, unit_id: str) -> Case:
    """Dispatch the case to ``unit_id`` (a supervisor's decision after a return, or for an unrouted case)."""
    case = await lock_case(session, case_id)
    await _require_supervisor(session, user, case)
    _require_status(case, S.UNROUTED, S.RETURNED, S.DISPATCHED, S.ACCEPTED)
    unit = await session.get(GridUnit, unit_id.strip())
    if unit is None or not unit.active:
        raise CaseActionError(N_("There is no unit {unit}."), unit=unit_id)
    await notify.retire_cards(
        services, session, case, N_("Case {number} was reassigned to another unit."), reason="reassign"
    )
    await _dispatch_to(
        services,
        session,
        case,
        unit.id,
        await unit_chain(session, unit.id),
        RoutedBy.MANUAL,
        None,
        actor_id=user.id,
        action="reassign",
    )
    await forget_input(session, user)
    await notify.notify_followers(services, session, case, "dispatched", unit=unit.name)
    return case


async def send_back(services: Services, session: AsyncSession, case_id: int, user: User) -> Case:
    """Refuse a return: the case goes back to the same unit with a fresh deadline."""
    case = await lock_case(session, case_id)
    await _require_supervisor(session, user, case)
    _require_status(case, S.RETURNED)
    if case.unit_id is None or await session.get(GridUnit, case.unit_id) is None:
        raise CaseActionError(N_("There is no unit {unit}."), unit=case.unit_id or "—")
    headline = N_("Case {number} was sent back to your unit by the supervisor. Please handle it.")
    await _dispatch_to(
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
    return case


async def start_reject(services: Services, session: AsyncSession, case_id: int, user: User) -> Case:
    """Check the supervisor may reject ``case_id`` and ask for the reason."""
    case = await lock_case(session, case_id)
    await _require_supervisor(session, user, case)
    _require_status(case, S.UNROUTED, S.RETURNED)
    await ask(session, user, ASK_REJECT_REASON, case.id, services.clock.now())
    return case


async def reject(services: Services, session: AsyncSession, case_id: int, user: User, reason: str) -> Case:
    """Decline the case for good, with a reason the reporter is told."""
    case = await lock_case(session, case_id)
    await _require_supervisor(session, user, case)
    _require_status(case, S.UNROUTED, S.RETURNED)
    reason = _reason(reason, N_("rejecting a case"))
    transition(case, S.REJECTED, at=services.clock.now(), actor_id=user.id, action="reject", note=reason)
    case.next_check_at = None
    await forget_input(session, user)
    await notify.notify_followers(services, session, case, "rejected", reason=reason)
    return case


async def extend_deadline(services: Services, session: AsyncSession, case_id: int, user: User, amount: str) -> datetime:
    """延期: move the deadline later by ``amount`` ("4h", "1d") on the case's own clock; returns the new one."""
    case = await lock_case(session, case_id)
    await _require_supervisor(session, user, case)
    _require_status(case, *CLOCK_RUNNING, S.SUSPENDED)
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
        await _handlers(session, case),
        N_("The deadline of case {number} was extended (延期) to {deadline}."),
        {"deadline": notify.local_time(services, due)},
    )
    return due


async def suspend(services: Services, session: AsyncSession, case_id: int, user: User, reason: str) -> Case:
    """挂账: put the case on hold with a reason; its clock stops until it is resumed."""
    case = await lock_case(session, case_id)
    await _require_supervisor(session, user, case)
    _require_status(case, S.DISPATCHED, S.ACCEPTED, S.REWORK)
    reason = _reason(reason, N_("suspending a case (挂账)"))
    now = services.clock.now()
    transition(case, S.SUSPENDED, at=now, actor_id=user.id, action="suspend", note=reason)
    deadlines.plan_next_check(services, case, now)
    await notify.to_people(
        services,
        session,
        case,
        await _handlers(session, case),
        N_("Case {number} is suspended (挂账): {reason}. Its clock is paused."),
        {"reason": reason},
    )
    await notify.notify_followers(services, session, case, "suspended", reason=reason)
    return case


async def resume(services: Services, session: AsyncSession, case_id: int, user: User) -> Case:
    """End a suspension: the case returns to where it was and its deadline moves by the paused time."""
    case = await lock_case(session, case_id)
    await _require_supervisor(session, user, case)
    _require_status(case, S.SUSPENDED)
    now = services.clock.now()
    paused_from = case.suspended_at or now
    transition(case, S(case.suspended_from or S.DISPATCHED), at=now, actor_id=user.id, action="resume")
    deadlines.resume_clock(services, case, paused_from, now)
    await notify.to_people(
        services,
        session,
        case,
        await _handlers(session, case),
        N_("Case {number} is active again. New deadline: {deadline}."),
        {"deadline": notify.local_time(services, case.due_at)},
    )
    await notify.notify_followers(services, session, case, "resumed")
    return case


async def close_on_behalf(services: Services, session: AsyncSession, case_id: int, user: User, note: str) -> Case:
    """A supervisor closes (结案) an open case for its handler, with a note saying why."""
    case = await lock_case(session, case_id)
    await _require_supervisor(session, user, case)
    _require_status(case, S.DISPATCHED, S.ACCEPTED, S.REWORK, S.RESOLVED, S.RETURNED, S.SUSPENDED)
    note = _reason(note, N_("closing a case for someone"))
    now = services.clock.now()
    done_at = case.resolved_at if S(case.status) is S.RESOLVED and case.resolved_at else now
    await notify.retire_cards(
        services, session, case, N_("Case {number} was closed by the supervisor."), reason="close"
    )
    handlers = await _handlers(session, case)
    transition(case, S.CLOSED, at=now, actor_id=user.id, action="close", note=note)
    case.closed_on_time = _on_time(case, done_at)
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
    return case


# ---------------------------------------------------------------- what staff look at
@dataclass(frozen=True)
class HistoryEntry:
    """One line of a case's history as staff see it (the reporter is never named)."""

    at: datetime
    action: str
    from_status: str | None
    to_status: str
    actor: str | None  # a colleague's display name; None for the system or the reporter
    by_reporter: bool
    note: str | None


async def tasks_for(session: AsyncSession, user: User) -> list[Case]:
    """An officer's open work by deadline: cases they own, and cases waiting in their units."""
    units = select(OfficerBinding.unit_id).where(
        OfficerBinding.user_id == user.id, OfficerBinding.role == BindingRole.OFFICER
    )
    owned = (Case.owner_id == user.id) & Case.status.in_([S.ACCEPTED, S.REWORK, S.SUSPENDED])
    waiting = (Case.status == S.DISPATCHED) & Case.unit_id.in_(units)
    query = select(Case).where(owned | waiting).order_by(Case.due_at.asc().nulls_last(), Case.id)
    return list(await session.scalars(query))


async def queue_for(session: AsyncSession, user: User) -> list[Case]:
    """Cases waiting for a supervisor's decision: returned cases they cover, and unrouted ones for dispatchers."""
    supervisor = select(OfficerBinding.id).where(
        OfficerBinding.user_id == user.id, OfficerBinding.role == BindingRole.SUPERVISOR
    )
    if user.role != Role.ADMIN and await session.scalar(supervisor.limit(1)) is None:
        return []
    condition = Case.status == S.RETURNED
    if user.role != Role.ADMIN:
        condition = condition & Case.unit_id.in_(await responsibility.covered_unit_ids(session, user.id))
    district = (
        select(OfficerBinding.id)
        .join(GridUnit, GridUnit.id == OfficerBinding.unit_id)
        .where(
            OfficerBinding.user_id == user.id,
            OfficerBinding.role == BindingRole.SUPERVISOR,
            GridUnit.level == UnitLevel.DISTRICT,
        )
    )
    if user.role == Role.ADMIN or await session.scalar(district.limit(1)) is not None:
        condition = condition | (Case.status == S.UNROUTED)
    return list(await session.scalars(select(Case).where(condition).order_by(Case.reported_at, Case.id)))


async def case_for_staff(session: AsyncSession, case_id: int, user: User) -> tuple[Case, list[HistoryEntry]]:
    """A case and its history for an officer or supervisor who answers for it."""
    case = await get_case(session, case_id)
    if case.owner_id != user.id:
        await _require_handler(session, user, case)
    events = list(await session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id)))
    actors = {e.actor_id for e in events if e.actor_id is not None and e.actor_id != case.reporter_id}
    names: dict[int, str] = {}
    for actor in await session.scalars(select(User).where(User.id.in_(actors))):
        names[actor.id] = await display_name(session, actor, case.unit_id)
    history = [
        HistoryEntry(
            e.at,
            e.action,
            e.from_status,
            e.to_status,
            names.get(e.actor_id or 0),
            e.actor_id is not None and e.actor_id == case.reporter_id,
            e.note,
        )
        for e in events
    ]
    return case, history


async def unit_name(session: AsyncSession, unit_id: str | None) -> str:
    """A unit's name for display ("—" when none)."""
    unit = await session.get(GridUnit, unit_id) if unit_id else None
    return unit.name if unit is not None else "—"
