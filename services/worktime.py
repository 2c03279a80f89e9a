"""SLA deadline clock: work calendars, time limits (处置时限) and deadline arithmetic.

Every datetime in and out is timezone-aware; results are returned in UTC. Working periods are reasoned
about in the calendar's local time, then converted to UTC, so real elapsed time is always correct even
in zones with daylight saving time.

Units:
- ``calendar_hours`` (紧急工作时): real elapsed time, nights and holidays included.
- ``working_hours`` (工作时): real time spent inside the working periods of working days.
- ``working_days`` (工作日): working hours where one day equals the schedule's daily working time
  (8 h by default), so 1 working day from 10:00 Tuesday is 10:00 Wednesday, and from 20:00 Tuesday
  it is 18:00 Wednesday (the whole of the next working day).
- ``calendar_days`` (自然日): the same local wall-clock time N days later.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Mapping, Set
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal, get_args
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

Unit = Literal["calendar_hours", "working_hours", "working_days", "calendar_days"]
Clock = Literal["working", "emergency"]
WORKING_UNITS: frozenset[str] = frozenset({"working_hours", "working_days"})
DEFAULT_TIMEZONE = "Asia/Shanghai"

# Ten years without one working period means a broken calendar; stop instead of looping forever.
_MAX_IDLE_DAYS = 3660
_HHMM = re.compile(r"^(\d{1,2}):(\d{2})$")
_LIMIT = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(wd|m|h|d)\s*$", re.IGNORECASE)
_CONFIG_KEYS = frozenset({"timezone", "periods", "weekdays", "holidays", "makeup_days"})


class WorkCalendarError(ValueError):
    """A work calendar or time limit that cannot be used as configured."""


@dataclass(frozen=True)
class WorkSchedule:
    """Working periods in local wall-clock time, shared by every working weekday (ISO: 1=Mon … 7=Sun)."""

    periods: tuple[tuple[time, time], ...] = ((time(8), time(12)), (time(14), time(18)))
    weekdays: frozenset[int] = frozenset({1, 2, 3, 4, 5})

    def __post_init__(self) -> None:
        if not self.periods:
            raise WorkCalendarError("a work schedule needs at least one working period")
        previous_end: time | None = None
        for number, (start, end) in enumerate(self.periods, start=1):
            if start.tzinfo is not None or end.tzinfo is not None:
                raise WorkCalendarError(f"period {number}: times are local wall-clock times, without a zone")
            if start >= end:
                raise WorkCalendarError(f"period {number}: start {start:%H:%M} must be before end {end:%H:%M}")
            if previous_end is not None and start < previous_end:
                raise WorkCalendarError(
                    f"period {number} starts at {start:%H:%M}, before the previous period ends at "
                    f"{previous_end:%H:%M}: periods must be in order and must not overlap"
                )
            previous_end = end
        if not self.weekdays or not self.weekdays <= set(range(1, 8)):
            raise WorkCalendarError(f"weekdays must be a non-empty set of 1 (Monday) … 7 (Sunday): {self.weekdays}")

    @property
    def daily_working_time(self) -> timedelta:
        """Length of one working day: the sum of its periods."""
        return sum(
            (datetime.combine(date.min, end) - datetime.combine(date.min, start) for start, end in self.periods),
            timedelta(),
        )


@dataclass(frozen=True)
class WorkCalendar:
    """A work schedule plus public holidays and make-up working days (调休) in one time zone."""

    schedule: WorkSchedule = field(default_factory=WorkSchedule)
    holidays: Set[date] = frozenset()
    makeup_days: Set[date] = frozenset()
    tz: ZoneInfo = field(default_factory=lambda: ZoneInfo(DEFAULT_TIMEZONE))

    def __post_init__(self) -> None:
        clash = sorted(set(self.holidays) & set(self.makeup_days))
        if clash:
            listed = ", ".join(day.isoformat() for day in clash)
            raise WorkCalendarError(f"dates cannot be both a holiday and a make-up working day: {listed}")
        # Frozen copies so a caller mutating its own set cannot move deadlines already computed.
        object.__setattr__(self, "holidays", frozenset(self.holidays))
        object.__setattr__(self, "makeup_days", frozenset(self.makeup_days))

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> WorkCalendar:
        """Build a calendar from a TOML-style dict (strings or native TOML dates/times), validating it."""
        unknown = sorted(set(config) - _CONFIG_KEYS)
        if unknown:
            raise WorkCalendarError(f"unknown work calendar keys {unknown}; expected some of {sorted(_CONFIG_KEYS)}")
        name = config.get("timezone", DEFAULT_TIMEZONE)
        try:
            tz = ZoneInfo(str(name))
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise WorkCalendarError(f"unknown timezone {name!r} (use an IANA name like 'Asia/Shanghai')") from exc
        default = WorkSchedule()
        periods = default.periods
        if "periods" in config:
            periods = tuple(_parse_period(item, number) for number, item in enumerate(config["periods"], 1))
        weekdays = default.weekdays
        if "weekdays" in config:
            weekdays = frozenset(_parse_weekday(value) for value in config["weekdays"])
        return cls(
            schedule=WorkSchedule(periods=periods, weekdays=weekdays),
            holidays=frozenset(_parse_date(v, "holidays") for v in config.get("holidays", ())),
            makeup_days=frozenset(_parse_date(v, "makeup_days") for v in config.get("makeup_days", ())),
            tz=tz,
        )

    def is_working_day(self, day: date) -> bool:
        """True when ``day`` is worked: a make-up day, or a scheduled weekday that is not a holiday."""
        if day in self.makeup_days:
            return True
        return day not in self.holidays and day.isoweekday() in self.schedule.weekdays

    def working_intervals(self, day: date) -> list[tuple[datetime, datetime]]:
        """The working periods of local ``day`` as UTC intervals (empty on days off)."""
        if not self.is_working_day(day):
            return []
        return [
            (_local_to_utc(day, start, self.tz), _local_to_utc(day, end, self.tz))
            for start, end in self.schedule.periods
        ]

    def is_working_time(self, moment: datetime) -> bool:
        """True when ``moment`` falls inside a working period."""
        instant = _utc(moment)
        day = instant.astimezone(self.tz).date()
        return any(begin <= instant < end for begin, end in self.working_intervals(day))

    def intervals_from(self, moment: datetime) -> Iterator[tuple[datetime, datetime]]:
        """Working intervals (UTC) from the local day of ``moment`` on, day by day."""
        day = _utc(moment).astimezone(self.tz).date()
        idle = 0
        while idle < _MAX_IDLE_DAYS:
            intervals = self.working_intervals(day)
            idle = 0 if intervals else idle + 1
            yield from intervals
            day += timedelta(days=1)


@dataclass(frozen=True)
class TimeLimit:
    """A time limit such as 2 working hours or 1 calendar day."""

    amount: float
    unit: Unit

    def __post_init__(self) -> None:
        if self.unit not in get_args(Unit):
            raise WorkCalendarError(f"unknown time limit unit {self.unit!r}; expected one of {get_args(Unit)}")
        if not math.isfinite(self.amount) or self.amount < 0:
            raise WorkCalendarError(f"a time limit must be a finite, non-negative amount: {self.amount}")

    @classmethod
    def parse(cls, text: str, clock: str = "working") -> TimeLimit:
        """Parse "2h", "30m", "1d" or "1wd"; the category's clock decides working vs calendar time."""
        match = _LIMIT.match(text)
        if match is None:
            raise WorkCalendarError(f"cannot read time limit {text!r}: write e.g. '2h', '30m', '1d' or '1wd'")
        amount, suffix = float(match.group(1)), match.group(2).lower()
        hours_unit, days_unit = unit_for_clock(clock, "hours"), unit_for_clock(clock, "days")
        if suffix == "wd":  # An explicit working day is one whatever the category's clock says.
            return cls(amount, "working_days")
        if suffix == "m":
            return cls(amount / 60, hours_unit)
        return cls(amount, hours_unit if suffix == "h" else days_unit)


def unit_for_clock(clock: str, scale: Literal["hours", "days"]) -> Unit:
    """Map a category clock ("working" / "emergency") and a scale to the limit's unit."""
    if clock == "working":
        return "working_hours" if scale == "hours" else "working_days"
    if clock == "emergency":
        return "calendar_hours" if scale == "hours" else "calendar_days"
    raise WorkCalendarError(f"unknown clock {clock!r}; expected 'working' or 'emergency'")


def due_at(start: datetime, limit: TimeLimit, calendar: WorkCalendar) -> datetime:
    """The deadline (UTC) of a limit whose clock starts at ``start``."""
    if limit.unit == "calendar_days":
        whole = math.floor(limit.amount)
        local = _utc(start).astimezone(calendar.tz)
        wall = local.replace(tzinfo=None) + timedelta(days=whole)
        same_time = wall.replace(tzinfo=calendar.tz, fold=local.fold).astimezone(UTC)
        return same_time + timedelta(days=limit.amount - whole)
    if limit.unit == "working_days":
        duration = calendar.schedule.daily_working_time * limit.amount
    else:
        duration = timedelta(hours=limit.amount)
    return add_clock_time(start, duration, limit.unit, calendar)


def add_clock_time(start: datetime, delta: timedelta, unit: str, calendar: WorkCalendar) -> datetime:
    """The moment (UTC) when ``delta`` of clock time in ``unit`` has run from ``start``."""
    cursor = _utc(start)
    if delta < timedelta(0):
        raise WorkCalendarError(f"cannot add negative clock time: {delta}")
    if unit not in WORKING_UNITS:
        return cursor + delta
    if not delta:
        return cursor
    remaining = delta
    for begin, end in calendar.intervals_from(cursor):
        if end <= cursor:
            continue
        begin = max(begin, cursor)
        # Landing exactly on a period's end stays there (18:00), rather than jumping to the next morning.
        if remaining <= end - begin:
            return begin + remaining
        remaining -= end - begin
    raise WorkCalendarError(f"the work calendar has no working time for {_MAX_IDLE_DAYS} days after {start}")


def working_time_between(start: datetime, end: datetime, unit: str, calendar: WorkCalendar) -> timedelta:
    """Clock time in ``unit`` elapsed from ``start`` to ``end`` (zero when ``end`` is not later)."""
    first, last = _utc(start), _utc(end)
    if last <= first:
        return timedelta(0)
    if unit not in WORKING_UNITS:
        return last - first
    total = timedelta(0)
    day, last_day = first.astimezone(calendar.tz).date(), last.astimezone(calendar.tz).date()
    while day <= last_day:
        for begin, stop in calendar.working_intervals(day):
            total += max(timedelta(0), min(stop, last) - max(begin, first))
        day += timedelta(days=1)
    return total


def extend_for_pause(
    due: datetime, paused_from: datetime, paused_until: datetime, unit: str, calendar: WorkCalendar
) -> datetime:
    """Push a deadline back by the clock time a suspension (挂账) consumed."""
    paused = working_time_between(paused_from, paused_until, unit, calendar)
    return add_clock_time(due, paused, unit, calendar)


def fraction_elapsed(start: datetime, due: datetime, now: datetime, unit: str, calendar: WorkCalendar) -> float:
    """Share of the allowed clock time used by ``now``: 0 before start, above 1 once overdue."""
    total = working_time_between(start, due, unit, calendar)
    if not total:
        return 1.0 if _utc(now) >= _utc(due) else 0.0
    return working_time_between(start, now, unit, calendar) / total


def reminder_at(start: datetime, due: datetime, fraction: float, unit: str, calendar: WorkCalendar) -> datetime:
    """The moment (UTC) when ``fraction`` of the allowed clock time has been used, e.g. 0.75."""
    if not 0 <= fraction <= 1:
        raise WorkCalendarError(f"fraction must be between 0 and 1: {fraction}")
    return add_clock_time(start, working_time_between(start, due, unit, calendar) * fraction, unit, calendar)


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"naive datetime {moment.isoformat()}: pass a timezone-aware datetime")
    return moment.astimezone(UTC)


def _local_to_utc(day: date, wall: time, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, wall, tzinfo=tz).astimezone(UTC)


def _parse_time(value: Any, where: str) -> time:
    if isinstance(value, time):
        return value
    match = _HHMM.match(value) if isinstance(value, str) else None
    if match is None or int(match.group(1)) > 23 or int(match.group(2)) > 59:
        raise WorkCalendarError(f"{where}: {value!r} is not a time in HH:MM form (e.g. '08:00')")
    return time(int(match.group(1)), int(match.group(2)))


def _parse_period(item: Any, number: int) -> tuple[time, time]:
    if isinstance(item, str) or not isinstance(item, list | tuple) or len(item) != 2:
        raise WorkCalendarError(f"period {number}: expected [start, end] like ['08:00', '12:00'], got {item!r}")
    where = f"period {number}"
    return _parse_time(item[0], where), _parse_time(item[1], where)


def _parse_weekday(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 7:
        raise WorkCalendarError(f"weekdays: {value!r} is not a weekday number 1 (Monday) … 7 (Sunday)")
    return value


def _parse_date(value: Any, key: str) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise WorkCalendarError(f"{key}: {value!r} is not a date in YYYY-MM-DD form")
