"""The volunteer leaderboard: valid reports per opted-in reporter, shown under a pseudonym."""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from models.cases import Case
from models.users import User
from services.summary.figures import LeaderEntry
from services.summary.kpis import NOT_CASES


def pseudonym(user: User) -> str:
    """A stable six-character code for ``user`` that does not reveal who they are (e.g. ``3F9A0C``)."""
    # Salted with the account's creation time, so the code cannot be found by hashing guessed account ids.
    seed = f"citybot-leaderboard:{user.id}:{user.created_at.isoformat()}"
    return hashlib.sha256(seed.encode()).hexdigest()[:6].upper()


def set_leaderboard(user: User, on: bool) -> str:
    """Opt ``user`` in or out of the leaderboard; return the pseudonym they appear under."""
    user.leaderboard_opt_in = on
    return pseudonym(user)


async def leaderboard(session: AsyncSession, start: datetime, end: datetime, size: int) -> list[LeaderEntry]:
    """The ``size`` opted-in volunteers with the most valid reports in [start, end), most first.

    A valid report is a case reported in the period that was dispatched to a unit and is neither rejected nor a
    duplicate of another case.
    """
    valid = func.count(Case.id).label("valid")
    query = (
        select(User, valid)
        .join(Case, Case.reporter_id == User.id)
        .where(
            User.leaderboard_opt_in.is_(True),
            Case.reported_at >= start,
            Case.reported_at < end,
            Case.dispatched_at.is_not(None),
            Case.status.not_in(NOT_CASES),
        )
        .group_by(User.id)
        .order_by(valid.desc(), User.id)
        .limit(size)
    )
    return [LeaderEntry(pseudonym(user), int(n)) for user, n in await session.execute(query)]
