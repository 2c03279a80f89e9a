"""Loading a case for a change and deciding who may act on it.

Every case action starts here: it loads the case under a row lock (so concurrent presses take turns: the first
wins, the rest see the new status), then checks role, responsibility and status in the database. A user's mistake
raises ``CaseActionError`` carrying a message id the adapter translates; nothing is changed then. The small rules
several kinds of action share (a written reason, on time or late, who works on the case now) live here too.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from models.cases import Case, CaseFollower
from models.grid import BindingRole, GridUnit, OfficerBinding, UnitLevel
from models.status import CaseStatus
from models.users import Role, User
from services import notify, responsibility
from services.i18n import N_, Translator

S = CaseStatus

NOT_RESPONSIBLE = N_("You are not responsible for case {number}.")
NOT_NOW = N_("Case {number} is {status} and cannot be changed now.")
TAKEN = N_("Case {number} was already taken by {name}.")
NEED_REASON = N_("Please give a reason: {action} needs a written reason.")
TOO_LONG = N_("That is too long: at most {limit} characters, yours has {count}. Please send a shorter text.")
#: The longest reason or note staff may write: it must fit, with the case's lines, in the messages it goes into.
TEXT_MAX = 500


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


# ---------------------------------------------------------------- loading and locking
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


# ---------------------------------------------------------------- who is who for a case
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


async def supervises_unit(session: AsyncSession, user: User, chain: Sequence[str]) -> bool:
    """Admins; supervisors bound to a unit of ``chain`` (a unit and its ancestors): the units a supervisor covers."""
    if user.role == Role.ADMIN:
        return True
    query = select(OfficerBinding.id).where(
        OfficerBinding.user_id == user.id,
        OfficerBinding.role == BindingRole.SUPERVISOR,
        OfficerBinding.unit_id.in_(list(chain)),
    )
    return bool(chain) and await session.scalar(query.limit(1)) is not None


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


async def current_handlers(session: AsyncSession, case: Case) -> list[User]:
    """Who works on the case now: its owner, else the unit's officers."""
    if case.owner_id is not None:
        owner = await session.get(User, case.owner_id)
        return [owner] if owner is not None else []
    return await responsibility.officers_of(session, case.unit_id) if case.unit_id else []


# ---------------------------------------------------------------- guards every action shares
async def require_handler(session: AsyncSession, user: User, case: Case) -> None:
    """Officers of the case's unit and its supervisors may work on it; anyone else is refused."""
    if not (await is_officer_of(session, user, case.unit_id) or await supervises(session, user, case)):
        raise CaseActionError(NOT_RESPONSIBLE, number=case.number)


async def require_supervisor(session: AsyncSession, user: User, case: Case) -> None:
    """Only a supervisor of the case (or an admin) may go on."""
    if not await supervises(session, user, case):
        raise CaseActionError(NOT_RESPONSIBLE, number=case.number)


def require_status(case: Case, *allowed: CaseStatus) -> None:
    """Refuse unless the case is in one of the ``allowed`` statuses."""
    if S(case.status) not in allowed:
        raise CaseActionError(NOT_NOW, number=case.number, status=case.status)


async def require_owner(session: AsyncSession, user: User, case: Case) -> None:
    """A case someone accepted is theirs alone."""
    if case.owner_id is not None and case.owner_id != user.id:
        owner = await session.get(User, case.owner_id)
        name = await display_name(session, owner, case.unit_id) if owner else "?"
        raise CaseActionError(TAKEN, number=case.number, name=name)


def require_reason(text: str | None, action: str) -> str:
    """The stripped reason; refused when empty (``action`` is a msgid naming what needs it) or too long."""
    reason = (text or "").strip()
    if not reason:
        raise CaseActionError(NEED_REASON, action=action)
    return require_fitting(reason)


def require_fitting(text: str) -> str:
    """``text`` if it has at most ``TEXT_MAX`` characters; refused with the limit and its length otherwise."""
    if len(text) > TEXT_MAX:
        raise CaseActionError(TOO_LONG, limit=TEXT_MAX, count=len(text))
    return text


def on_time(case: Case, done_at: datetime) -> bool | None:
    """Whether the work was done by the deadline (waiting for the reporter's check does not count)."""
    return None if case.due_at is None else done_at <= case.due_at
