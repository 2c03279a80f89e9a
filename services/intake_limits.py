"""Who may report and how often: the ban list and the per-user hourly limit."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Integer, ScalarSelect, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from models.cases import Case
from models.users import User
from services.context import Services
from services.i18n import N_

WINDOW = timedelta(hours=1)


class IntakeRefused(Exception):
    """The report flow cannot do what was asked; ``message`` is a msgid translated with ``values``."""

    def __init__(self, message: str, **values: object) -> None:
        super().__init__(message)
        self.message = message
        self.values = values


class RateLimited(IntakeRefused):
    """The user sent ``limit`` reports in the last hour; they may report again at ``until`` (aware UTC)."""

    def __init__(self, limit: int, until: datetime, local_time: str) -> None:
        super().__init__(
            N_("You have reached the limit of {limit} reports per hour. You can report again at {time}."),
            limit=limit,
            time=local_time,
        )
        self.limit = limit
        self.until = until


BANNED = N_("Your account may not send reports, so nothing you send is accepted.")


def oldest_counted_report(reporter_id: InstrumentedAttribute[int]) -> ScalarSelect[datetime]:
    """A column for a larger query: the report whose leaving the window frees a slot, NULL if one is free.

    That is the ``limit``-th most recent report inside the window; with fewer reports there is no such row.
    Its parameters come from ``limit_values``.
    """
    return (
        select(Case.reported_at)
        .where(Case.reporter_id == reporter_id, Case.reported_at > bindparam("window_start"))
        .order_by(Case.reported_at.desc())
        .offset(bindparam("counted_before", type_=Integer))
        .limit(1)
        .scalar_subquery()
    )


def limit_values(services: Services) -> dict[str, object]:
    """The parameters of ``oldest_counted_report`` now."""
    return {
        "window_start": services.clock.now() - WINDOW,
        "counted_before": services.config.reporting.reports_per_hour - 1,
    }


async def next_allowed_at(services: Services, session: AsyncSession, user_id: int) -> datetime | None:
    """When the user may submit again, or None if they may submit now."""
    limit = services.config.reporting.reports_per_hour
    now = services.clock.now()
    recent = (
        select(Case.reported_at)
        .where(Case.reporter_id == user_id, Case.reported_at > now - WINDOW)
        .order_by(Case.reported_at.desc())
        .limit(limit)
    )
    times = list(await session.scalars(recent))
    if len(times) < limit:
        return None
    # The oldest of the last `limit` reports leaves the window first, freeing one slot.
    return times[-1] + WINDOW


def refuse_until(services: Services, until: datetime | None) -> None:
    """Raise ``RateLimited`` if the user may not report before ``until`` (None: they may now)."""
    if until is None:
        return
    # Round up to the minute: telling someone 11:05 when they must wait until 11:05:40 would be wrong.
    shown = (until + timedelta(seconds=59, microseconds=999_999)).astimezone(services.tz)
    raise RateLimited(services.config.reporting.reports_per_hour, until, shown.strftime("%H:%M"))


async def ensure_may_report(services: Services, session: AsyncSession, user: User) -> None:
    """Raise ``IntakeRefused`` for a banned user and ``RateLimited`` for one over the hourly limit."""
    if user.banned:
        raise IntakeRefused(BANNED)
    refuse_until(services, await next_allowed_at(services, session, user.id))
