"""Responsibility as data: who answers for a unit, who is escalated to, and what a person covers.

An officer binding covers exactly its unit. A supervisor binding on a community, street or district covers
that unit and every unit below it.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models.grid import BindingRole, GridUnit, OfficerBinding
from models.users import User
from services.routing import unit_chain


async def _bound(session: AsyncSession, unit_id: str, role: BindingRole) -> list[User]:
    query = (
        select(User)
        .join(OfficerBinding, OfficerBinding.user_id == User.id)
        .where(OfficerBinding.unit_id == unit_id, OfficerBinding.role == role, User.banned.is_(False))
        .order_by(OfficerBinding.id)
    )
    return list(await session.scalars(query))


async def officers_of(session: AsyncSession, unit_id: str) -> list[User]:
    """Users bound as officer to exactly this unit, in binding order (banned users left out)."""
    return await _bound(session, unit_id, BindingRole.OFFICER)


async def supervisors_at(session: AsyncSession, unit_id: str) -> list[User]:
    """Users bound as supervisor to exactly this unit, in binding order (banned users left out)."""
    return await _bound(session, unit_id, BindingRole.SUPERVISOR)


async def escalation_targets(session: AsyncSession, chain: Sequence[str], level: int) -> list[User]:
    """Supervisors for escalation ``level`` (1 = ``chain[1]``, 2 = ``chain[2]``...), skipping empty levels.

    A level beyond the chain (a department's short chain) starts at the chain's top unit, so an escalation
    still reaches whoever is in charge there; the result is empty only if nobody up the chain supervises.
    """
    if not chain:
        return []
    for unit_id in chain[min(max(level, 0), len(chain) - 1) :]:
        found = await supervisors_at(session, unit_id)
        if found:
            return found
    return []


async def covered_unit_ids(session: AsyncSession, user_id: int) -> set[str]:
    """Units ``user_id`` answers for: officer units, and each supervised unit with everything below it."""
    bindings = (
        await session.execute(
            select(OfficerBinding.unit_id, OfficerBinding.role).where(OfficerBinding.user_id == user_id)
        )
    ).all()
    covered = {b.unit_id for b in bindings}
    roots = [b.unit_id for b in bindings if b.role == BindingRole.SUPERVISOR]
    if not roots:
        return covered
    # A recursive CTE walks the whole subtree in one round trip on SQLite and PostgreSQL alike.
    tree = select(GridUnit.id).where(GridUnit.id.in_(roots)).cte("subtree", recursive=True)
    tree = tree.union(select(GridUnit.id).join(tree, GridUnit.parent_id == tree.c.id))
    covered.update(await session.scalars(select(tree.c.id)))
    return covered


async def is_responsible(session: AsyncSession, user_id: int, unit_id: str) -> bool:
    """Whether ``user_id`` is an officer of ``unit_id`` or supervises it or one of its ancestors."""
    chain = await unit_chain(session, unit_id)
    if not chain:
        return False
    query = (
        select(OfficerBinding.id)
        .where(
            OfficerBinding.user_id == user_id,
            (
                (OfficerBinding.unit_id == unit_id)
                | ((OfficerBinding.role == BindingRole.SUPERVISOR) & OfficerBinding.unit_id.in_(chain))
            ),
        )
        .limit(1)
    )
    return await session.scalar(query) is not None
