"""Compute a week's summary, or read the one already published for that week.

The week before, which every change on the page is measured against, is the summary published for it (its
stored row) when there is one; only a week that was never published is computed, by the same definitions, at
the same moment. So "+3 on last week" is always the difference between this page and last week's page.
"""

from __future__ import annotations

import json
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from models.broadcast import WeeklySummary
from models.uow import UnitOfWork
from services.config import SummaryConfig
from services.context import Services
from services.summary.figures import UnitFigures, WeekSummary
from services.summary.kpis import chain_categories, chain_counts, load_units, roll_up, roll_up_categories
from services.summary.leaderboard import leaderboard
from services.summary.sources import counts_by_source
from services.summary.weeks import IsoWeek


async def published(session: AsyncSession, week: IsoWeek) -> WeekSummary | None:
    """The summary stored for ``week`` (what was, or will be, sent), if any."""
    row = await session.get(WeeklySummary, str(week))
    return None if row is None else WeekSummary.from_json(json.loads(row.data))


async def compute_summary(
    session: AsyncSession, week: IsoWeek, *, tz: ZoneInfo, now: datetime, config: SummaryConfig
) -> WeekSummary:
    """The figures of ``week`` for the city and every unit, with last week's published figures beside them."""
    start, end = week.bounds(tz)
    units = await load_units(session)
    city = UnitFigures(id="", name="", level="city")
    roll_up(units, city, await chain_counts(session, start, end))
    before = await published(session, week.previous())
    if before is None:
        prev_start, prev_end = week.previous().bounds(tz)
        roll_up(units, city, await chain_counts(session, prev_start, prev_end), previous=True)
    else:
        city.previous = before.city.counts
        for unit_id, figures in units.items():
            if unit_id in before.units:
                figures.previous = before.units[unit_id].counts
    roll_up_categories(units, city, await chain_categories(session, start, end))
    board = await leaderboard(session, start, end, config.leaderboard_size)
    sources = await counts_by_source(session, start, end)
    return WeekSummary(str(week), now.isoformat(), city, units, board, sources)


async def summary_for(
    session: AsyncSession,
    week: IsoWeek,
    *,
    tz: ZoneInfo,
    now: datetime,
    config: SummaryConfig,
    store: bool = False,
) -> WeekSummary:
    """The published figures of ``week`` if any (so every recipient and reprint sees the same numbers), else
    freshly computed ones, stored as the week's row when ``store`` is set."""
    found = await published(session, week)
    if found is not None:
        return found
    summary = await compute_summary(session, week, tz=tz, now=now, config=config)
    if store:
        data = json.dumps(summary.to_json(), ensure_ascii=False)
        session.add(WeeklySummary(week=str(week), created_at=now, data=data))
        await session.flush()
    return summary


async def week_summary(services: Services, week: IsoWeek) -> WeekSummary:
    """``week``'s figures as of now, published or computed (nothing is stored): what an operator prints."""
    async with UnitOfWork(services.db) as uow:
        now = services.clock.now()
        return await summary_for(uow.session, week, tz=services.tz, now=now, config=services.config.summary)
