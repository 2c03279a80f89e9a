"""Cases received in a period, counted by the channel they came in by (a chat channel, or open311:<key>)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from models.cases import Case


async def counts_by_source(session: AsyncSession, start: datetime, end: datetime) -> dict[str, int]:
    """``{source: cases reported in [start, end)}``, largest first."""
    query = (
        select(Case.source, func.count())
        .where(Case.reported_at >= start, Case.reported_at < end)
        .group_by(Case.source)
        .order_by(func.count().desc(), Case.source)
    )
    return {str(source): int(n) for source, n in await session.execute(query)}
