"""Week-on-week changes are measured against what was published for the week before (both backends)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import update

from models.cases import Case
from models.uow import UnitOfWork
from services.context import Services
from services.summary.compute import summary_for
from services.summary.figures import WeekSummary
from services.summary.render import render_text
from services.summary.weeks import IsoWeek
from tests.integration.summary_world import SUMMARY_TIME, bj, build_world

W46_TIME = datetime(2026, 11, 16, 1, 0, tzinfo=UTC)  # Monday 2026-11-16 09:00 Beijing: W46 goes out


async def published(services: Services, week: str, at: datetime, *, store: bool = True) -> WeekSummary:
    async with services.db.sessions() as session:
        summary = await summary_for(
            session, IsoWeek.parse(week), tz=services.tz, now=at, config=services.config.summary, store=store
        )
        await session.commit()
    return summary


async def test_the_change_is_against_last_weeks_published_figures_not_a_recomputation(services: Services) -> None:
    await build_world(services)
    w46 = await published(services, "2026-W46", W46_TIME)
    assert (w46.city.counts.received, w46.city.counts.due, w46.city.counts.due_closed_on_time) == (2, 1, 1)
    # After W46 went out, case 10 (due and closed on time in W46) gets a later deadline: recomputed now, W46 would
    # have nothing due; its published page said 100.0% (1/1), and that is what W47 is compared with.
    async with UnitOfWork(services.db) as uow:
        await uow.session.execute(update(Case).where(Case.id == 10).values(due_at=bj(18, 14)))
        await uow.commit()
    w47 = await published(services, "2026-W47", SUMMARY_TIME)
    assert w47.city.previous == w46.city.counts
    assert w47.units["S2"].previous == w46.units["S2"].counts
    text = render_text(w47, services.config, "en")
    # W47: cases 1, 7 and 10 (closed on time) of the 6 due, one suspended: 3/6 = 50.0%; 50.0 - 100.0 = -50.0.
    assert "On-time closure rate 50.0% (-50.0 pp on last week): 3 of the 6 cases due this week" in text


async def test_a_week_never_published_is_computed_by_the_same_definitions(services: Services) -> None:
    await build_world(services)
    w47 = await published(services, "2026-W47", SUMMARY_TIME, store=False)
    w46 = await published(services, "2026-W46", SUMMARY_TIME, store=False)
    assert w47.city.previous == w46.city.counts
    again = await published(services, "2026-W47", SUMMARY_TIME, store=False)
    assert again == w47  # nothing stored, nothing changed: the same page
