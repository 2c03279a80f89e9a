"""Who may report and how often: the ban list and the per-user hourly limit."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

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


async def ensure_may_report(services: Services, session: AsyncSession, user: User) -> None:
    """Raise ``IntakeRefused`` for a banned user and ``RateLimited`` for one over the hourly limit."""
    if user.banned:
        raise IntakeRefused(BANNED)
    until = await next_allowed_at(services, session, user.id)
    if until is not None:
        # Round up to the minute: telling someone 11:05 when they must wait until 11:05:40 would be wrong.
        shown = (until + timedelta(seconds=59, microseconds=999_999)).astimezone(services.tz)
        local = shown.strftime("%H:%M")
        raise RateLimited(services.config.reporting.reports_per_hour, until, local)
