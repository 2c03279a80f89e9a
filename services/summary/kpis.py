"""The week's figures in SQL: each count is a SUM(CASE ...) grouped by the case's unit chain.

Each query reads only the rows it needs through an index (reported_at, closed_at, due_at, status), so the cost
follows the week's cases rather than the table. Results are grouped by ``chain`` (grid > community > street >
district, as stored on the case when it was routed) and added to every unit of the chain afterwards: that roll-up
loops over chains (about one per grid unit), never over cases. Definitions of every count: ``figures.py``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, case, extract, func, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from models.cases import Case
from models.grid import GridUnit
from models.status import TERMINAL, CaseStatus
from services.summary.figures import Counts, UnitFigures

ChainKey = tuple[str, str | None]  # (chain, unit_id)

NOT_CASES = (CaseStatus.REJECTED, CaseStatus.DUPLICATE)  # not a problem the city had to handle
OPEN_LIKE = tuple(s for s in CaseStatus if s not in TERMINAL)


def _count(condition: ColumnElement[bool]) -> Any:
    return func.sum(case((condition, 1), else_=0))


def _hours_between(later: Any, earlier: Any, dialect: str) -> Any:
    if dialect == "sqlite":
        return (func.julianday(later) - func.julianday(earlier)) * 24.0
    return extract("epoch", later - earlier) / 3600.0


def _received_columns(end: datetime) -> list[Any]:
    valid = Case.status.not_in(NOT_CASES)
    return [
        func.count().label("received"),
        _count(valid).label("registered"),
        _count(and_(Case.dispatched_at.is_not(None), Case.dispatched_at < end)).label("dispatched"),
        _count(and_(Case.status == CaseStatus.CLOSED, Case.closed_at < end)).label("closed_registered"),
        _count(and_(Case.dispatched_at.is_not(None), Case.dispatched_at < end, Case.return_count > 0)).label(
            "returned"
        ),
    ]


def _closed_columns(dialect: str) -> list[Any]:
    # Rejections and duplicates also carry closed_at: every count tests the status itself, and WHERE keeps only
    # the closed_at range, so the planner reads that index rather than the (large) status='closed' one.
    closed = Case.status == CaseStatus.CLOSED
    finished = func.coalesce(Case.resolved_at, Case.closed_at)
    timed = and_(closed, Case.dispatched_at.is_not(None), finished >= Case.dispatched_at)
    hours = func.sum(case((timed, _hours_between(finished, Case.dispatched_at, dialect)), else_=0.0))
    return [
        _count(closed).label("closed"),
        _count(and_(closed, Case.rework_count > 0)).label("reworked"),
        hours.label("handling_hours"),
        _count(timed).label("handling_timed"),
        _count(and_(closed, Case.satisfied == true())).label("satisfied"),
        _count(and_(closed, Case.satisfied.is_not(None))).label("answered"),
    ]


def _due_columns(start: datetime, end: datetime) -> list[Any]:
    # Closed by the week's end: a case whose check is still pending then is not closed (结案) in this week's
    # figures, and a later confirmation cannot change them.
    on_time = and_(
        Case.status == CaseStatus.CLOSED,
        Case.closed_at < end,
        or_(
            Case.closed_on_time == true(),
            and_(Case.closed_on_time.is_(None), Case.closed_at <= Case.due_at),
        ),
    )
    return [
        func.count().label("due"),
        _count(Case.status == CaseStatus.SUSPENDED).label("due_suspended"),
        _count(on_time).label("due_closed_on_time"),
        _count(and_(on_time, Case.closed_at < start)).label("due_closed_before"),
    ]


async def _grouped(session: AsyncSession, columns: list[Any], where: Any, into: dict[ChainKey, Counts]) -> None:
    query = select(Case.chain, Case.unit_id, *columns).where(where).group_by(Case.chain, Case.unit_id)
    for row in (await session.execute(query)).mappings():
        into.setdefault((row["chain"] or "", row["unit_id"]), Counts()).update(dict(row))


async def chain_counts(session: AsyncSession, start: datetime, end: datetime) -> dict[ChainKey, Counts]:
    """The counts of week [start, end) per (chain, unit)."""
    dialect = session.get_bind().dialect.name
    result: dict[ChainKey, Counts] = {}
    await _grouped(session, _received_columns(end), and_(Case.reported_at >= start, Case.reported_at < end), result)
    await _grouped(session, _closed_columns(dialect), and_(Case.closed_at >= start, Case.closed_at < end), result)
    due = and_(Case.due_at >= start, Case.due_at < end, Case.status.not_in(NOT_CASES))
    await _grouped(session, _due_columns(start, end), due, result)
    # Open at the week's end: still open now (found by status), or closed/rejected/merged only after the end;
    # overdue then if the deadline had passed by the end (a case suspended now is excused, as in the on-time rate).
    open_then = Case.reported_at < end
    late_then = and_(open_then, Case.due_at < end)
    still_open = [
        _count(open_then).label("open_at_end"),
        _count(and_(late_then, Case.status != CaseStatus.SUSPENDED)).label("overdue_at_end"),
    ]
    await _grouped(session, still_open, Case.status.in_(OPEN_LIKE), result)
    # The reported_at test stays out of WHERE so SQLite reads only the (few) rows closed after the end by index.
    closed_later = [_count(open_then).label("open_at_end"), _count(late_then).label("overdue_at_end")]
    await _grouped(session, closed_later, Case.closed_at >= end, result)
    return result


async def chain_categories(session: AsyncSession, start: datetime, end: datetime) -> dict[ChainKey, dict[str, int]]:
    """Registered cases of week [start, end) per (chain, unit) and category."""
    query = (
        select(Case.chain, Case.unit_id, Case.category, func.count())
        .where(Case.reported_at >= start, Case.reported_at < end, Case.status.not_in(NOT_CASES))
        .group_by(Case.chain, Case.unit_id, Case.category)
    )
    result: dict[ChainKey, dict[str, int]] = {}
    for chain, unit_id, category, n in await session.execute(query):
        result.setdefault((chain or "", unit_id), {})[category] = int(n)
    return result


async def load_units(session: AsyncSession) -> dict[str, UnitFigures]:
    """Empty figures for every unit in the database, with its name, level and parent."""
    query = select(GridUnit.id, GridUnit.name, GridUnit.level, GridUnit.parent_id)
    return {
        uid: UnitFigures(id=uid, name=name, level=str(level), parent_id=parent)
        for uid, name, level, parent in await session.execute(query)
    }


def units_of(key: ChainKey) -> list[str]:
    """Every unit a case with this chain and unit counts for (its unit and each unit above it)."""
    chain, unit_id = key
    ids = [part for part in chain.split(">") if part]
    if unit_id and unit_id not in ids:
        ids.append(unit_id)
    return ids


def roll_up(
    units: dict[str, UnitFigures],
    city: UnitFigures,
    counts: dict[ChainKey, Counts],
    *,
    previous: bool = False,
) -> None:
    """Add each chain's counts to the city and to every unit of the chain (units missing from the DB are added)."""
    for key, value in counts.items():
        targets = [city] + [units.setdefault(uid, UnitFigures(id=uid, name=uid, level="")) for uid in units_of(key)]
        for figures in targets:
            (figures.previous if previous else figures.counts).add(value)


def roll_up_categories(
    units: dict[str, UnitFigures], city: UnitFigures, categories: dict[ChainKey, dict[str, int]]
) -> None:
    """Add each chain's category counts to the city and every unit of the chain."""
    for key, value in categories.items():
        city.add_categories(value)
        for uid in units_of(key):
            units.setdefault(uid, UnitFigures(id=uid, name=uid, level="")).add_categories(value)
