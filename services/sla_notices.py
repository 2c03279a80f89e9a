"""Who receives the SLA sweep's notices and what they read, for a whole batch of cases at once.

The sweep handles up to a thousand cases per round, so recipients are loaded in three queries for the batch
instead of a few per case. ``Directory`` answers with the same rules as ``services.responsibility``
(``officers_of``, ``escalation_targets``): banned users left out, binding order kept, an empty escalation
level falling back to the next one up.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models.cases import Case
from models.grid import BindingRole, GridUnit, OfficerBinding
from models.users import User
from services.context import Services
from services.deadlines import SlaAction
from services.i18n import Translator
from services.notify import category_label, local_time


def chain_of(case: Case) -> list[str]:
    """The case's unit chain, grid first (``"g>c>s>d"`` → ``["g", "c", "s", "d"]``)."""
    units = [unit for unit in (case.chain or "").split(">") if unit]
    return units or ([case.unit_id] if case.unit_id else [])


@dataclass
class Directory:
    """Officers, supervisors, owners and unit names for one batch of cases."""

    officers: dict[str, list[User]] = field(default_factory=dict)
    supervisors: dict[str, list[User]] = field(default_factory=dict)
    owners: dict[int, User] = field(default_factory=dict)
    unit_names: dict[str, str] = field(default_factory=dict)

    @classmethod
    async def load(cls, session: AsyncSession, cases: Sequence[Case]) -> Directory:
        """Everyone the notices for ``cases`` may go to, in three queries."""
        directory = cls()
        units = {unit for case in cases for unit in chain_of(case)}
        if units:
            query = (
                select(OfficerBinding.unit_id, OfficerBinding.role, User)
                .join(User, User.id == OfficerBinding.user_id)
                .where(OfficerBinding.unit_id.in_(units), User.banned.is_(False))
                .order_by(OfficerBinding.id)
            )
            for unit_id, role, user in (await session.execute(query)).all():
                target = directory.supervisors if role == BindingRole.SUPERVISOR else directory.officers
                target.setdefault(unit_id, []).append(user)
            names = await session.execute(select(GridUnit.id, GridUnit.name).where(GridUnit.id.in_(units)))
            directory.unit_names = {unit_id: name for unit_id, name in names.all()}
        owner_ids = {case.owner_id for case in cases if case.owner_id is not None}
        if owner_ids:
            owners = await session.scalars(select(User).where(User.id.in_(owner_ids)))
            directory.owners = {user.id: user for user in owners}
        return directory

    def handlers_of(self, case: Case) -> list[User]:
        """The owner once someone accepted the case, else every officer of its unit."""
        owner = self.owners.get(case.owner_id) if case.owner_id is not None else None
        if owner is not None and reachable(owner):
            return [owner]
        return list(self.officers.get(case.unit_id or "", []))

    def escalation_targets(self, case: Case, level: int) -> list[User]:
        """Supervisors for escalation ``level`` (1 = the unit above the grid), skipping levels with nobody."""
        chain = chain_of(case)
        if not chain:
            return []
        for unit_id in chain[min(max(level, 0), len(chain) - 1) :]:
            found = self.supervisors.get(unit_id)
            if found:
                return list(found)
        return []

    def unit_name(self, case: Case) -> str:
        """The name of the case's unit (its id when the unit is gone)."""
        return self.unit_names.get(case.unit_id or "", case.unit_id or "—")


def reachable(user: User) -> bool:
    """Whether a message to ``user`` can be delivered and is wanted."""
    return not (user.blocked_bot or user.banned)


def format_duration(t: Translator, delta: timedelta) -> str:
    """A short duration in the reader's language, two units at most: "2 d 3 h", "45 min", "2天3小时"."""
    minutes = int(delta.total_seconds() // 60)
    if minutes < 1:
        return t("under a minute")
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    parts = []
    if days:
        parts.append(t("{n} d", n=days))
    if hours and len(parts) < 2:
        parts.append(t("{n} h", n=hours))
    if minutes and not days:
        parts.append(t("{n} min", n=minutes))
    return ("" if t.is_zh else " ").join(parts)


def overdue_by(t: Translator, late: timedelta) -> str:
    """ "3 h overdue", or "just overdue" at the deadline itself."""
    if late < timedelta(minutes=1):
        return t("just overdue")
    return t("{late} overdue", late=format_duration(t, late))


def render(
    services: Services,
    case: Case,
    action: SlaAction,
    reader: User,
    directory: Directory,
    now: datetime,
) -> str:
    """The text of ``action`` about ``case`` for ``reader``, in the reader's language and the city's time."""
    t = Translator(reader.locale)
    assert case.due_at is not None
    values = {
        "number": case.number,
        "category": category_label(services, case.category, t),
        "unit": directory.unit_name(case),
        "deadline": local_time(services, case.due_at),
    }
    if action.kind == "reminder":
        left = format_duration(t, case.due_at - now)
        text = t(
            "⏰ Reminder: case {number} ({category}, {unit}) is due at {deadline}, in {left}.",
            left=left,
            **values,
        )
    elif action.kind == "overdue":
        text = t(
            "⚠️ Case {number} ({category}, {unit}) is overdue: the deadline was {deadline}. "
            "Please handle it now, or ask your supervisor for an extension.",
            **values,
        )
    elif action.kind == "chase":
        late = format_duration(t, now - case.due_at)
        text = t(
            "⚠️ Still overdue: case {number} ({category}, {unit}) is {late} past its deadline {deadline}.",
            late=late,
            **values,
        )
    else:
        owner = directory.owners.get(case.owner_id) if case.owner_id is not None else None
        handler = owner.first_name if owner is not None else t("not accepted yet")
        text = t(
            "🔔 Escalation, level {level}: case {number} ({category}, {unit}) is {overdue}; "
            "the deadline was {deadline}. Handled by: {handler}.",
            level=action.number,
            overdue=overdue_by(t, now - case.due_at),
            handler=handler,
            **values,
        )
    return text + "\n" + t("Send /case {id} for details.", id=case.id)
