"""What a reporter sees of their cases: the list behind /my and one case's history."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from models.cases import Case, CaseEvent, CaseFollower
from models.grid import GridUnit


@dataclass(frozen=True)
class CaseLine:
    """One of the reporter's cases with the name of the unit it is with."""

    case: Case
    unit_name: str | None


async def reporter_count(session: AsyncSession, user_id: int) -> int:
    """How many reports the user made."""
    return int(await session.scalar(select(func.count(Case.id)).where(Case.reporter_id == user_id)) or 0)


async def reporter_cases(session: AsyncSession, user_id: int, limit: int = 10, *, offset: int = 0) -> list[CaseLine]:
    """The user's own reports, newest first: at most ``limit`` of them, after skipping ``offset``."""
    query = (
        select(Case, GridUnit.name)
        .outerjoin(GridUnit, GridUnit.id == Case.unit_id)
        .where(Case.reporter_id == user_id)
        .order_by(Case.reported_at.desc(), Case.id.desc())
        .offset(offset)
        .limit(limit)
    )
    return [CaseLine(case, name) for case, name in (await session.execute(query)).all()]


async def case_for_follower(session: AsyncSession, user_id: int, case_id: int) -> CaseLine | None:
    """The case if ``user_id`` reported or follows it, else None (others may not read it)."""
    follows = select(CaseFollower.case_id).where(CaseFollower.user_id == user_id, CaseFollower.case_id == case_id)
    query = (
        select(Case, GridUnit.name)
        .outerjoin(GridUnit, GridUnit.id == Case.unit_id)
        .where(Case.id == case_id, or_(Case.reporter_id == user_id, Case.id.in_(follows)))
    )
    row = (await session.execute(query)).first()
    return None if row is None else CaseLine(row[0], row[1])


async def history(session: AsyncSession, case_id: int) -> list[CaseEvent]:
    """The case's events, oldest first."""
    query = select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.at, CaseEvent.id)
    return list(await session.scalars(query))
