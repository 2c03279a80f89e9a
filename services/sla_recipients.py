"""Who receives the SLA sweep's notices, loaded for a whole batch of cases at once.

A sweep handles up to a thousand cases per round, so recipients come from a few queries for the batch instead
of a few per case, as plain values rather than ORM objects. ``Directory`` answers with the same rules as
``services.responsibility`` (``officers_of``, ``escalation_targets``): banned users left out, binding order
kept, a level nobody supervises falling back to the next one up.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol, cast

from sqlalchemy import Table, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from models.cases import Case, CaseFollower
from models.grid import BindingRole, GridUnit, OfficerBinding
from models.users import User
from services.i18n import locale_for

# Core tables, not the mapped classes: a batch reads a thousand people, and the ORM's row handling costs more
# than the query.
_USERS = cast(Table, User.__table__)
_BINDINGS = cast(Table, OfficerBinding.__table__)
_UNITS = cast(Table, GridUnit.__table__)
_CASES = cast(Table, Case.__table__)
_FOLLOWERS = cast(Table, CaseFollower.__table__)
_PERSON = (
    _USERS.c.id,
    _USERS.c.contact_channel,
    _USERS.c.contact_address,
    _USERS.c.first_name,
    _USERS.c.language,
    _USERS.c.channel_language,
    _USERS.c.banned,
)


class RoutedCase(Protocol):
    """Where a case sits and who took it."""

    @property
    def unit_id(self) -> str | None: ...
    @property
    def chain(self) -> str: ...
    @property
    def owner_id(self) -> int | None: ...


@dataclass(frozen=True, slots=True)
class Recipient:
    """A person a notice can go to: where they are reached, name and language, and whether a message would arrive."""

    id: int
    channel: str | None
    address: str | None
    first_name: str
    locale: str

    @property
    def reachable(self) -> bool:
        """Whether a notice would arrive (the person has a contact; banned people are never loaded)."""
        return self.address is not None and self.channel is not None

    @classmethod
    def from_row(cls, row: Any) -> Recipient:
        """From the ``_PERSON`` columns at the end of ``row`` (language decided as ``User.locale`` does)."""
        user_id, channel, address, first_name, language, channel_language, banned = row[-7:]
        if banned:
            channel = address = None
        return cls(user_id, channel, address, first_name, locale_for(language or channel_language))


def chain_of(case: RoutedCase) -> list[str]:
    """The case's unit chain, grid first (``"g>c>s>d"`` → ``["g", "c", "s", "d"]``)."""
    units = [unit for unit in (case.chain or "").split(">") if unit]
    return units or ([case.unit_id] if case.unit_id else [])


@dataclass
class Directory:
    """Officers, supervisors, owners and unit names for one batch of cases."""

    officers: dict[str, list[Recipient]] = field(default_factory=dict)
    supervisors: dict[str, list[Recipient]] = field(default_factory=dict)
    owners: dict[int, Recipient] = field(default_factory=dict)
    unit_names: dict[str, str] = field(default_factory=dict)
    #: The reporter and followers of each case whose news is due, by case id.
    followers: dict[int, list[Recipient]] = field(default_factory=dict)

    @classmethod
    async def load(
        cls, session: AsyncSession, cases: Iterable[RoutedCase], *, followed: Iterable[int] = ()
    ) -> Directory:
        """Everyone the notices for ``cases`` may go to, and the reporter and followers of ``followed`` cases."""
        directory = cls()
        await directory._load_followers(session, set(followed))
        cases = list(cases)
        units = {unit for case in cases for unit in chain_of(case)}
        if units:
            query = (
                select(_BINDINGS.c.unit_id, _BINDINGS.c.role, *_PERSON)
                .join(_USERS, _USERS.c.id == _BINDINGS.c.user_id)
                .where(_BINDINGS.c.unit_id.in_(units), _USERS.c.banned.is_(False))
                .order_by(_BINDINGS.c.id)
            )
            for row in await session.execute(query):
                unit_id, role = row[0], row[1]
                target = directory.supervisors if role == BindingRole.SUPERVISOR else directory.officers
                target.setdefault(unit_id, []).append(Recipient.from_row(row))
            names = await session.execute(select(_UNITS.c.id, _UNITS.c.name).where(_UNITS.c.id.in_(units)))
            directory.unit_names = {unit_id: name for unit_id, name in names.all()}
        owner_ids = {case.owner_id for case in cases if case.owner_id is not None}
        if owner_ids:
            owners = await session.execute(select(*_PERSON).where(_USERS.c.id.in_(owner_ids)))
            directory.owners = {row[0]: Recipient.from_row(row) for row in owners}
        return directory

    async def _load_followers(self, session: AsyncSession, case_ids: set[int]) -> None:
        """The reporter and followers of each case in ``case_ids`` (one query; none when the set is empty)."""
        if not case_ids:
            return
        reporters = (
            select(_CASES.c.id, *_PERSON)
            .join(_USERS, _USERS.c.id == _CASES.c.reporter_id)
            .where(_CASES.c.id.in_(case_ids))
        )
        following = (
            select(_FOLLOWERS.c.case_id, *_PERSON)
            .join(_USERS, _USERS.c.id == _FOLLOWERS.c.user_id)
            .where(_FOLLOWERS.c.case_id.in_(case_ids))
        )
        people = union_all(reporters, following).subquery()
        query = select(*people.c).order_by(*people.c[:2])  # by case, then person: a stable order to queue in
        for row in await session.execute(query):
            found = self.followers.setdefault(row[0], [])
            if all(person.id != row[1] for person in found):  # the reporter usually follows too
                found.append(Recipient.from_row(row))

    def followers_of(self, case_id: int) -> list[Recipient]:
        """The reporter and followers of the case (loaded only for cases whose news is due)."""
        return list(self.followers.get(case_id, []))

    def handlers_of(self, case: RoutedCase) -> list[Recipient]:
        """The owner once someone accepted the case, else every officer of its unit."""
        owner = self.owners.get(case.owner_id) if case.owner_id is not None else None
        if owner is not None and owner.reachable:
            return [owner]
        return list(self.officers.get(case.unit_id or "", []))

    def escalation_targets(self, case: RoutedCase, level: int) -> list[Recipient]:
        """Supervisors for escalation ``level`` (1 = the unit above the grid), skipping levels with nobody."""
        chain = chain_of(case)
        if not chain:
            return []
        for unit_id in chain[min(max(level, 0), len(chain) - 1) :]:
            found = self.supervisors.get(unit_id)
            if found:
                return list(found)
        return []

    def unit_name(self, case: RoutedCase) -> str:
        """The name of the case's unit (its id when the unit is gone)."""
        return self.unit_names.get(case.unit_id or "", case.unit_id or "—")

    def handler_name(self, case: RoutedCase) -> str | None:
        """The first name of whoever accepted the case, if anyone did."""
        owner = self.owners.get(case.owner_id) if case.owner_id is not None else None
        return owner.first_name if owner is not None else None
