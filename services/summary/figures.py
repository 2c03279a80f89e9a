"""The weekly figures of one unit (or the city), the KPIs derived from them, and how rates are published.

Every KPI is a ratio of additive counts, so a unit's figures are the sum of the figures of the cases in its chain
and roll up from grid to district by addition. The counts are defined, per ISO week W = [start, end) in the
configured timezone, on the case table as it stands when the summary is computed (``kpis.py`` turns each one
into SQL):

- ``received`` (受理): cases reported in W, whatever became of them.
- ``registered`` (立案): cases received in W that are not rejected and not a duplicate of another case.
- ``dispatched`` (派遣): cases received in W that had been dispatched to a unit before the week ended.
- ``closed_registered``: cases received in W that were closed (结案) before the week ended.
- ``returned``: cases received in W that were dispatched before the week ended and sent back (回退) at least once.
- ``closed`` (结案): cases closed in W (status closed; rejections and duplicates are not closures).
- ``reworked``: cases closed in W that failed a check (返工) at least once on the way.
- ``handling_hours`` / ``handling_timed``: for cases closed in W, the hours from the (last) dispatch to the
  handler's report of done (or to closing when no report was made), summed, and how many cases were timed.
- ``satisfied`` / ``answered``: cases closed in W whose reporter answered "Fixed" / answered at all.
- ``due`` (应结): cases whose deadline (``due_at``) falls in W, not rejected or duplicate.
- ``due_suspended``: of those, cases suspended (挂账) now; they are excused from the on-time rate.
- ``due_closed_on_time`` (按期结案): of those, cases closed by the week's end and on time (the case's
  ``closed_on_time`` flag, set when the handler's work was done by the deadline; for cases closed without the
  flag, closed no later than the deadline). A case whose check is still pending at the week's end is not closed.
- ``due_closed_before``: of those, cases closed before W began (early): they are among the on-time closures but
  not among the week's ``closed``, and the page says how many.
- ``open_at_end`` (未结): cases reported before the week ended and not closed, rejected or merged by then.
- ``overdue_at_end`` (超期未结): of those, cases whose deadline had passed by the week's end, except cases
  suspended now. It is part of ``open_at_end``, measured at the same moment.

KPIs (None when the denominator is zero); each is published with its numerator and denominator, e.g.
"50.0% (1/2)", so a reader can check it against the counts on the same page:

- closure rate (结案率) = closed_registered / registered
- on-time closure rate (按期结案率) = due_closed_on_time / (due − due_suspended)
- rework rate (返工率) = reworked / closed
- return rate (回退率) = returned / dispatched
- average handling time = handling_hours / handling_timed
- satisfaction (满意率) = satisfied / answered

Rates are published to one decimal of a percent, rounded half up from the exact fraction (``Rate.tenths``), and
a week-on-week change is the difference of the two published figures, never of unrounded values. Rankings
compare units by the on-time closure rate, and only units with at least ``summary.rank_min_cases`` cases in
its denominator.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any

COUNT_FIELDS = (
    "received",
    "registered",
    "dispatched",
    "closed_registered",
    "returned",
    "closed",
    "reworked",
    "handling_hours",
    "handling_timed",
    "satisfied",
    "answered",
    "due",
    "due_suspended",
    "due_closed_on_time",
    "due_closed_before",
    "open_at_end",
    "overdue_at_end",
)
#: Count names of summaries stored before a count was renamed: the old name's value is read as the new one.
_RENAMED = {"overdue_now": "overdue_at_end"}


def ratio(numerator: float, denominator: float) -> float | None:
    """``numerator / denominator``, or None when there is nothing to divide by."""
    return numerator / denominator if denominator > 0 else None


@dataclass(frozen=True)
class Rate:
    """A rate as published: the two counts it is made of, and its value in tenths of a percent."""

    numerator: int
    denominator: int

    @property
    def value(self) -> float | None:
        """The exact fraction, or None when the denominator is zero."""
        return ratio(self.numerator, self.denominator)

    @property
    def tenths(self) -> int | None:
        """The published figure in tenths of a percent (1/8 → 125 for 12.5%), rounded half up, exactly."""
        if self.denominator <= 0:
            return None
        return (self.numerator * 2000 + self.denominator) // (2 * self.denominator)


def tenths_text(tenths: int) -> str:
    """``125`` → ``12.5`` (tenths of a percent as the page writes them, sign included)."""
    sign = "-" if tenths < 0 else ""
    whole, tenth = divmod(abs(tenths), 10)
    return f"{sign}{whole}.{tenth}"


def change_in_tenths(now: Rate, before: Rate) -> int | None:
    """The change between two published rates, in tenths of a percentage point; None if either has none."""
    if now.tenths is None or before.tenths is None:
        return None
    return now.tenths - before.tenths


@dataclass
class Counts:
    """The additive counts behind every KPI of one unit for one week (definitions in the module docstring)."""

    received: int = 0
    registered: int = 0
    dispatched: int = 0
    closed_registered: int = 0
    returned: int = 0
    closed: int = 0
    reworked: int = 0
    handling_hours: float = 0.0
    handling_timed: int = 0
    satisfied: int = 0
    answered: int = 0
    due: int = 0
    due_suspended: int = 0
    due_closed_on_time: int = 0
    due_closed_before: int = 0
    open_at_end: int = 0
    overdue_at_end: int = 0

    def add(self, other: Counts) -> None:
        """Add ``other``'s counts to these (a unit is the sum of what lies below it)."""
        for name in COUNT_FIELDS:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def update(self, values: dict[str, Any]) -> None:
        """Add the counts in ``values`` (a SQL result row), ignoring other keys and NULL sums."""
        for name in COUNT_FIELDS:
            value = values.get(name)
            if value is not None:
                setattr(self, name, getattr(self, name) + (float(value) if name == "handling_hours" else int(value)))

    @property
    def closure(self) -> Rate:
        """结案率: cases received this week and closed by its end, over those registered."""
        return Rate(self.closed_registered, self.registered)

    @property
    def on_time(self) -> Rate:
        """按期结案率: cases due this week closed on time, over the cases due this week (suspended excused)."""
        return Rate(self.due_closed_on_time, self.due - self.due_suspended)

    @property
    def rework(self) -> Rate:
        """返工率: closures that needed rework, over all closures."""
        return Rate(self.reworked, self.closed)

    @property
    def returns(self) -> Rate:
        """回退率: dispatched cases sent back at least once, over dispatched cases."""
        return Rate(self.returned, self.dispatched)

    @property
    def satisfaction_rate(self) -> Rate:
        """满意率: "Fixed" answers over all answers, for the week's closures."""
        return Rate(self.satisfied, self.answered)

    @property
    def closure_rate(self) -> float | None:
        """The closure rate's exact value."""
        return self.closure.value

    @property
    def on_time_rate(self) -> float | None:
        """The on-time closure rate's exact value."""
        return self.on_time.value

    @property
    def rework_rate(self) -> float | None:
        """The rework rate's exact value."""
        return self.rework.value

    @property
    def return_rate(self) -> float | None:
        """The return rate's exact value."""
        return self.returns.value

    @property
    def avg_handling_hours(self) -> float | None:
        """Average hours from dispatch to the handler's report, over the week's closures."""
        return ratio(self.handling_hours, self.handling_timed)

    @property
    def satisfaction(self) -> float | None:
        """The satisfaction rate's exact value."""
        return self.satisfaction_rate.value

    @property
    def active(self) -> bool:
        """Whether anything happened to count (a unit without any is left out of rankings)."""
        return any(getattr(self, name) for name in COUNT_FIELDS)


@dataclass
class UnitFigures:
    """One unit's (or the city's, with ``id`` "") figures for the week and the week before."""

    id: str
    name: str
    level: str
    parent_id: str | None = None
    counts: Counts = field(default_factory=Counts)
    previous: Counts = field(default_factory=Counts)
    #: Registered cases of the week by category code.
    categories: dict[str, int] = field(default_factory=dict)

    def add_categories(self, other: dict[str, int]) -> None:
        """Add category counts."""
        for code, n in other.items():
            self.categories[code] = self.categories.get(code, 0) + n

    def top_categories(self, n: int) -> list[tuple[str, int]]:
        """The ``n`` most reported categories, most first (ties by code, so the order is stable)."""
        return sorted(self.categories.items(), key=lambda item: (-item[1], item[0]))[:n]

    def ranked(self, min_cases: int) -> bool:
        """Whether the unit has enough cases in its on-time rate's denominator to be ranked."""
        return self.counts.on_time.denominator >= max(min_cases, 1)


@dataclass
class LeaderEntry:
    """One volunteer of the leaderboard, by pseudonym."""

    pseudonym: str
    valid_reports: int


@dataclass
class WeekSummary:
    """Everything a week's 周通报 shows, for the city and every unit."""

    week: str
    generated_at: str  # ISO 8601 UTC
    city: UnitFigures
    units: dict[str, UnitFigures] = field(default_factory=dict)
    leaderboard: list[LeaderEntry] = field(default_factory=list)
    #: City-wide cases received by channel, e.g. {"wechat": 120, "open311:hotline": 30}.
    sources: dict[str, int] = field(default_factory=dict)

    def scope(self, unit_id: str | None) -> UnitFigures:
        """The figures of ``unit_id`` (the city for None or an unknown unit)."""
        return self.units.get(unit_id or "", self.city)

    def children(self, unit_id: str | None, city_level: str) -> list[UnitFigures]:
        """Units one level below the scope: ``city_level`` units for the city, else the unit's children."""
        if unit_id is not None and unit_id in self.units:
            return [u for u in self.units.values() if u.parent_id == unit_id]
        found = [u for u in self.units.values() if u.level == city_level]
        # A city without units of that level (only districts, say) ranks its top-level territorial units.
        return found or [
            u for u in self.units.values() if u.parent_id not in self.units and u.level not in ("", "department")
        ]

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (stored in ``WeeklySummary.data``)."""
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> WeekSummary:
        """The summary stored by ``to_json``."""
        return cls(
            week=data["week"],
            generated_at=data["generated_at"],
            city=_unit_from_json(data["city"]),
            units={key: _unit_from_json(value) for key, value in data["units"].items()},
            leaderboard=[LeaderEntry(**entry) for entry in data["leaderboard"]],
            sources=dict(data.get("sources", {})),
        )


def _counts_from_json(data: dict[str, Any]) -> Counts:
    known = {f.name for f in fields(Counts)}
    values = {_RENAMED.get(key, key): value for key, value in data.items()}
    return Counts(**{key: value for key, value in values.items() if key in known})


def _unit_from_json(data: dict[str, Any]) -> UnitFigures:
    return UnitFigures(
        id=data["id"],
        name=data["name"],
        level=data["level"],
        parent_id=data.get("parent_id"),
        counts=_counts_from_json(data["counts"]),
        previous=_counts_from_json(data["previous"]),
        categories=dict(data.get("categories", {})),
    )


def ranking(units: list[UnitFigures], min_cases: int) -> list[UnitFigures]:
    """Units with at least ``min_cases`` cases due, best first by their published on-time closure rate.

    Equal published rates: more cases closed on time first, then fewer overdue at the week's end, then by name.
    """
    ranked = [u for u in units if u.ranked(min_cases)]
    return sorted(ranked, key=lambda u: (-(u.counts.on_time.tenths or 0), *_tie_breaks(u)))


def _tie_breaks(unit: UnitFigures) -> tuple[int, int, str, str]:
    return (-unit.counts.due_closed_on_time, unit.counts.overdue_at_end, unit.name, unit.id)


def best_and_bottom(
    units: list[UnitFigures], top: int, bottom: int, min_cases: int
) -> tuple[list[UnitFigures], list[UnitFigures]]:
    """The ``top`` best ranked units and the ``bottom`` last ones (never overlapping), both in ranking order."""
    ranked = ranking(units, min_cases)
    best = ranked[:top]
    rest = ranked[len(best) :]
    return best, rest[max(0, len(rest) - bottom) :]
