"""For random case histories, every published figure recomputes from the case table, and every week-on-week change
is the difference of the two published figures (both backends).

Each generated case has a history (reported, dispatched, maybe returned and re-dispatched, suspended and resumed,
extended, accepted, resolved, sent back for rework, closed; or rejected, or merged as a duplicate) with times
around two ISO weeks. The table is set to the state the histories reach on Monday 09:00 after the first week,
that week is (in some examples) published; then the table moves on to the next Monday and the second week is
published. The figures are recomputed here in plain Python from the rows, by the definitions in
``services/summary/figures.py``, and the pages are compared line by line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, insert, select

from models.broadcast import WeeklySummary
from models.cases import Case
from models.grid import GridUnit, UnitLevel
from models.status import TERMINAL, CaseStatus
from models.uow import UnitOfWork
from services.context import Services
from services.summary.compute import summary_for
from services.summary.figures import Counts, UnitFigures, WeekSummary
from services.summary.render import render_text
from services.summary.weeks import IsoWeek
from tests.world import build

S = CaseStatus
FIRST, SECOND = IsoWeek(2026, 46), IsoWeek(2026, 47)
T1 = datetime(2026, 11, 16, 1, 0, tzinfo=UTC)  # Monday 09:00 Beijing after W46
T2 = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)  # Monday 09:00 Beijing after W47
EARLIEST = datetime(2026, 11, 1, 16, 0, tzinfo=UTC)  # Monday 00:00 of W45 in Beijing
UNITS = [
    ("D1", "东城区", UnitLevel.DISTRICT, None),
    ("S1", "东华门街道", UnitLevel.STREET, "D1"),
    ("S2", "景山街道", UnitLevel.STREET, "D1"),
    ("C1", "多福巷社区", UnitLevel.COMMUNITY, "S1"),
    ("C2", "韶九社区", UnitLevel.COMMUNITY, "S1"),
    ("C3", "黄化门社区", UnitLevel.COMMUNITY, "S2"),
    ("G1", "网格 1", UnitLevel.GRID, "C1"),
    ("G2", "网格 2", UnitLevel.GRID, "C2"),
    ("G3", "网格 3", UnitLevel.GRID, "C3"),
    ("G4", "网格 4", UnitLevel.GRID, "C3"),
]
CHAINS = ["G1>C1>S1>D1", "G2>C2>S1>D1", "G3>C3>S2>D1", "G4>C3>S2>D1", ""]  # the last: no grid covers it
NOT_CASES = (S.REJECTED, S.DUPLICATE)
OPEN_LIKE = tuple(s for s in CaseStatus if s not in TERMINAL)
CATEGORIES = ["0201", "0102", "0505", "99"]
MINUTE = timedelta(minutes=1)
#: Columns a history may set; every row names them all, so the rows insert as one batch.
OPTIONAL = ("dispatched_at", "due_at", "accepted_at", "resolved_at", "closed_at", "suspended_at", "suspended_from",
            "closed_on_time", "satisfied")  # fmt: skip


# ---------------------------------------------------------------- histories
@dataclass
class History:
    """A case's row as it changes: (time, changes) events, applied in order up to a moment."""

    id: int
    base: dict[str, Any]
    events: list[tuple[datetime, dict[str, Any]]] = field(default_factory=list)

    def at(self, moment: datetime) -> dict[str, Any] | None:
        """The row at ``moment`` (None before the case was reported)."""
        if self.base["reported_at"] > moment:
            return None
        row = dict(self.base)
        for when, changes in self.events:
            if when > moment:
                break
            row.update({key: value(row) if callable(value) else value for key, value in changes.items()})
        return row


@st.composite
def histories(draw: st.DrawFn, case_id: int) -> History:
    """One case's random history, reported between the end of W45 and the end of W47."""
    minutes = st.integers(min_value=1, max_value=2 * 24 * 60).map(lambda n: n * MINUTE)
    reported = EARLIEST + draw(st.integers(5 * 24 * 60, 21 * 24 * 60 - 1)) * MINUTE  # W45's weekend to W47
    chain = draw(st.sampled_from(CHAINS))
    base: dict[str, Any] = {
        "id": case_id, "reporter_id": 1, "category": draw(st.sampled_from(CATEGORIES)), "status": S.SUBMITTED,
        "lat": 39.9, "lon": 116.4, "chain": chain, "unit_id": chain.split(">")[0] or None,
        "routed_by": "inside" if chain else "unrouted", "reported_at": reported, "language": "zh",
        "rework_count": 0, "return_count": 0, "extension_count": 0, "escalation_level": 0,
        **dict.fromkeys(OPTIONAL),
    }  # fmt: skip
    history = History(case_id, base)
    fate = draw(st.sampled_from(["duplicate", "rejected", "handled", "handled", "handled"]))
    if fate == "duplicate":
        history.events.append((reported, {"status": S.DUPLICATE, "closed_at": reported}))
        return history
    if fate == "rejected" or not chain:
        if fate == "rejected":
            when = reported + draw(minutes)
            history.events.append((when, {"status": S.REJECTED, "closed_at": when}))
        else:
            history.events.append((reported, {"status": S.UNROUTED}))
        return history
    limit = draw(st.sampled_from([2, 4, 24, 72])) * timedelta(hours=1)
    now = reported + draw(minutes)
    history.events.append((now, {"status": S.DISPATCHED, "dispatched_at": now, "due_at": now + limit}))
    for step in draw(st.lists(st.sampled_from(["return", "suspend", "extend"]), max_size=2)):
        now += draw(minutes)
        if step == "return":
            history.events.append((now, {"status": S.RETURNED, "return_count": lambda row: row["return_count"] + 1}))
            now += draw(minutes)
            history.events.append((now, {"status": S.DISPATCHED, "dispatched_at": now, "due_at": now + limit}))
        elif step == "suspend":
            history.events.append((now, {"status": S.SUSPENDED, "suspended_at": now, "suspended_from": S.DISPATCHED}))
            paused = draw(minutes)
            now += paused
            resume = {"status": S.DISPATCHED, "suspended_at": None, "suspended_from": None}
            history.events.append((now, {**resume, "due_at": lambda row, p=paused: row["due_at"] + p}))
        else:
            more = draw(st.sampled_from([4, 24])) * timedelta(hours=1)
            history.events.append((now, {"due_at": lambda row, m=more: row["due_at"] + m}))
    stages = draw(st.integers(0, 4))  # how far it gets: accepted, resolved (maybe reworked), closed
    if stages >= 1:
        now += draw(minutes)
        history.events.append((now, {"status": S.ACCEPTED, "accepted_at": now}))
    if stages >= 2:
        now += draw(minutes)
        history.events.append((now, {"status": S.RESOLVED, "resolved_at": now}))
        if draw(st.booleans()):
            now += draw(minutes)
            change = {"status": S.REWORK, "rework_count": lambda row: row["rework_count"] + 1, "due_at": now + limit}
            history.events.append((now, change))
            now += draw(minutes)
            history.events.append((now, {"status": S.RESOLVED, "resolved_at": now}))
    if stages >= 3:
        now += draw(minutes)
        flag = draw(st.sampled_from(["kept", "kept", "missing"]))
        on_time = (lambda row: row["resolved_at"] <= row["due_at"]) if flag == "kept" else None
        satisfied = draw(st.sampled_from([True, False, None]))
        history.events.append(
            (now, {"status": S.CLOSED, "closed_at": now, "closed_on_time": on_time, "satisfied": satisfied})
        )
    return history


case_sets = st.integers(0, 24).flatmap(lambda n: st.tuples(*(histories(i + 1) for i in range(n))))


# ---------------------------------------------------------------- the definitions, in plain Python
def units_of(row: dict[str, Any]) -> list[str]:
    return [unit for unit in row["chain"].split(">") if unit]


def reference_counts(rows: list[dict[str, Any]], week: IsoWeek, tz: Any) -> dict[str, Counts]:
    """Every unit's (and the city's, key "") counts of ``week`` from the rows, by the documented definitions."""
    start, end = week.bounds(tz)
    found: dict[str, Counts] = {}
    for r in rows:
        c = Counts()
        status, reported, closed_at, due = r["status"], r["reported_at"], r.get("closed_at"), r.get("due_at")
        dispatched = r.get("dispatched_at")
        if start <= reported < end:
            c.received = 1
            c.registered = int(status not in NOT_CASES)
            c.dispatched = int(dispatched is not None and dispatched < end)
            c.closed_registered = int(status == S.CLOSED and closed_at < end)
            c.returned = int(c.dispatched == 1 and r["return_count"] > 0)
        if status == S.CLOSED and start <= closed_at < end:
            c.closed = 1
            c.reworked = int(r["rework_count"] > 0)
            finished = r.get("resolved_at") or closed_at
            if dispatched is not None and finished >= dispatched:
                c.handling_hours, c.handling_timed = (finished - dispatched).total_seconds() / 3600, 1
            c.satisfied = int(r.get("satisfied") is True)
            c.answered = int(r.get("satisfied") is not None)
        if due is not None and start <= due < end and status not in NOT_CASES:
            c.due = 1
            c.due_suspended = int(status == S.SUSPENDED)
            flag = r.get("closed_on_time")
            on_time = flag is True or (flag is None and closed_at is not None and closed_at <= due)
            c.due_closed_on_time = int(status == S.CLOSED and closed_at < end and on_time)
            c.due_closed_before = int(c.due_closed_on_time == 1 and closed_at < start)
        open_then = reported < end and (status in OPEN_LIKE or (closed_at is not None and closed_at >= end))
        if open_then:
            c.open_at_end = 1
            excused = status == S.SUSPENDED
            c.overdue_at_end = int(due is not None and due < end and not excused)
        for key in ["", *units_of(r)]:
            found.setdefault(key, Counts()).add(c)
    return found


def reference_categories(rows: list[dict[str, Any]], week: IsoWeek, tz: Any) -> dict[str, dict[str, int]]:
    start, end = week.bounds(tz)
    found: dict[str, dict[str, int]] = {}
    for r in rows:
        if start <= r["reported_at"] < end and r["status"] not in NOT_CASES:
            for key in ["", *units_of(r)]:
                found.setdefault(key, {})
                found[key][r["category"]] = found[key].get(r["category"], 0) + 1
    return found


def rebuilt(published: WeekSummary, counts: dict[str, Counts], categories: dict[str, dict[str, int]]) -> WeekSummary:
    """The published page's units with the recomputed counts and categories (its previous week kept)."""

    def unit(f: UnitFigures) -> UnitFigures:
        key = f.id
        return UnitFigures(f.id, f.name, f.level, f.parent_id, counts.get(key, Counts()), f.previous,
                           categories.get(key, {}))  # fmt: skip

    units = {uid: unit(f) for uid, f in published.units.items()}
    return WeekSummary(published.week, published.generated_at, unit(published.city), units, published.leaderboard)


# ---------------------------------------------------------------- the pages
ON_TIME = re.compile(r"^On-time closure rate (\d+\.\d)% \((—|±0 pp|[+-]?\d+\.\d pp) on last week\)")
RECEIVED = re.compile(r"^Received (\d+) \((±0|[+-]\d+) on last week\)")


def page_figures(text: str) -> tuple[int, int | None, str | None, str]:
    """(received, on-time rate in tenths, on-time change, received change) as printed on a page."""
    lines = text.splitlines()
    if lines[-1] == "No cases this week.":
        return 0, None, None, "±0"
    received = next(RECEIVED.match(line) for line in lines if RECEIVED.match(line))
    assert received is not None
    on_time = next((ON_TIME.match(line) for line in lines if ON_TIME.match(line)), None)
    tenths = None if on_time is None else int(on_time.group(1).replace(".", ""))
    change = None if on_time is None else on_time.group(2)
    return int(received.group(1)), tenths, change, received.group(2)


def tenths_of(change: str) -> int:
    number = change.removesuffix(" pp")
    return 0 if number == "±0" else int(number.replace(".", ""))


def without_hours(text: str) -> list[str]:
    # The average handling time is a float sum, compared separately within a tolerance.
    return [line for line in text.splitlines() if not line.startswith("Average handling time")]


# ---------------------------------------------------------------- the test
async def set_table(services: Services, cases: tuple[History, ...], moment: datetime) -> list[dict[str, Any]]:
    """Make the case table what the histories are at ``moment``; return the rows."""
    rows = [row for row in (case.at(moment) for case in cases) if row is not None]
    async with UnitOfWork(services.db) as uow:
        await uow.session.execute(delete(Case))
        if rows:
            await uow.session.execute(insert(Case), rows)
        await uow.commit()
    return rows


async def publish(services: Services, week: IsoWeek, now: datetime, store: bool) -> WeekSummary:
    async with UnitOfWork(services.db) as uow:
        summary = await summary_for(
            uow.session, week, tz=services.tz, now=now, config=services.config.summary, store=store
        )
        await uow.commit()
    return summary


def assert_recomputes(services: Services, published: WeekSummary, rows: list[dict[str, Any]], week: IsoWeek) -> None:
    """Every count of every unit, and the page of the city and of each street, from the rows alone."""
    counts = reference_counts(rows, week, services.tz)
    for key, figures in [("", published.city), *published.units.items()]:
        expected = counts.get(key, Counts())
        assert figures.counts.handling_hours == pytest.approx(expected.handling_hours, abs=1e-6), key
        assert replace(figures.counts, handling_hours=0.0) == replace(expected, handling_hours=0.0), key
    again = rebuilt(published, counts, reference_categories(rows, week, services.tz))
    for scope in (None, "S1", "S2"):
        page = render_text(published, services.config, "en", scope)
        assert without_hours(page) == without_hours(render_text(again, services.config, "en", scope)), scope


async def city(services: Services) -> None:
    async with build(services, EARLIEST) as world:
        await world.units(UNITS)
        await world.person(9001, "R", id=1)


@settings(
    max_examples=40,
    database=None,  # nothing written into the work tree; a failure prints the example to reproduce it
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(cases=case_sets, publish_first=st.booleans(), min_cases=st.integers(1, 3))
async def test_published_figures_recompute_and_changes_are_differences_of_published_figures(
    services: Services, cases: tuple[History, ...], publish_first: bool, min_cases: int
) -> None:
    services.config.summary.rank_min_cases = min_cases
    async with UnitOfWork(services.db) as uow:
        await uow.session.execute(delete(WeeklySummary))
        await uow.session.execute(delete(Case))
        if await uow.session.scalar(select(GridUnit.id).limit(1)) is None:
            await uow.commit()
            await city(services)
        else:
            await uow.commit()

    rows = await set_table(services, cases, T1)
    if publish_first:
        first = await publish(services, FIRST, T1, store=True)
        assert_recomputes(services, first, rows, FIRST)
    rows = await set_table(services, cases, T2)  # the week goes by: cases close, deadlines move
    second = await publish(services, SECOND, T2, store=True)
    assert_recomputes(services, second, rows, SECOND)
    if not publish_first:  # never published: last week is computed by the same definitions, at the same time
        first = await publish(services, FIRST, T2, store=False)
        assert_recomputes(services, first, rows, FIRST)
    for scope in (None, "S1", "S2", "C3"):
        before = page_figures(render_text(first, services.config, "en", scope))
        now = page_figures(render_text(second, services.config, "en", scope))
        received_change = 0 if now[3] == "±0" else int(now[3])
        assert received_change == now[0] - before[0], scope
        if now[1] is not None and before[1] is not None:
            assert now[2] is not None and tenths_of(now[2]) == now[1] - before[1], scope
        elif now[1] is not None:
            assert now[2] == "—", scope  # no figure last week: no change is printed
