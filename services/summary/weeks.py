"""ISO weeks in the city's timezone, and the cron schedule that says when a week's summary goes out."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger

_WEEK = re.compile(r"^(\d{4})-?W(\d{1,2})$", re.IGNORECASE)
_DAY_NAMES = ["sun", "mon", "tue", "wed", "thu", "fri", "sat", "sun"]


@dataclass(frozen=True, order=True)
class IsoWeek:
    """An ISO 8601 week such as ``2026-W47``: Monday 00:00 to the next Monday 00:00, local time."""

    year: int
    week: int

    @classmethod
    def parse(cls, text: str) -> IsoWeek:
        """Read ``YYYY-Www`` (or ``YYYYWww``); raise ValueError for anything else or a week that does not exist."""
        match = _WEEK.match(text.strip())
        if match is None:
            raise ValueError(f"not an ISO week (expected YYYY-Www): {text!r}")
        year, week = int(match.group(1)), int(match.group(2))
        try:
            date.fromisocalendar(year, week, 1)
        except ValueError:
            raise ValueError(f"{year} has no ISO week {week}") from None
        return cls(year, week)

    @classmethod
    def containing(cls, when: datetime, tz: ZoneInfo) -> IsoWeek:
        """The week that ``when`` (aware) falls in, on the local calendar."""
        iso = when.astimezone(tz).date().isocalendar()
        return cls(iso.year, iso.week)

    @classmethod
    def last_completed(cls, now: datetime, tz: ZoneInfo) -> IsoWeek:
        """The most recent week that has fully ended at ``now``."""
        return cls.containing(now, tz).previous()

    def __str__(self) -> str:
        return f"{self.year}-W{self.week:02d}"

    @property
    def monday(self) -> date:
        """The week's first day."""
        return date.fromisocalendar(self.year, self.week, 1)

    @property
    def sunday(self) -> date:
        """The week's last day."""
        return self.monday + timedelta(days=6)

    def previous(self) -> IsoWeek:
        """The week before."""
        iso = (self.monday - timedelta(days=7)).isocalendar()
        return IsoWeek(iso.year, iso.week)

    def bounds(self, tz: ZoneInfo) -> tuple[datetime, datetime]:
        """[start, end) in UTC: local Monday midnight to the next local Monday midnight."""
        start = datetime.combine(self.monday, time(0), tzinfo=tz)
        end = datetime.combine(self.monday + timedelta(days=7), time(0), tzinfo=tz)
        return start.astimezone(UTC), end.astimezone(UTC)


def _standard_weekday(token: str) -> str:
    # Standard cron counts 0 and 7 as Sunday; APScheduler 3 counts 0 as Monday. Names mean the same in both.
    return _DAY_NAMES[int(token)] if token.isascii() and token.isdigit() and int(token) <= 7 else token


def cron_trigger(expr: str, tz: ZoneInfo) -> CronTrigger:
    """A trigger for a standard five-field crontab line (``0 9 * * mon``), weekday numbers as in cron(5)."""
    fields = expr.split()
    if len(fields) != 5:
        raise ValueError(f"a cron expression has five fields, got {expr!r}")
    day_of_week = re.sub(r"(?<!/)\d+", lambda m: _standard_weekday(m.group(0)), fields[4])
    return CronTrigger(
        minute=fields[0], hour=fields[1], day=fields[2], month=fields[3], day_of_week=day_of_week, timezone=tz
    )


def last_fire_time(trigger: CronTrigger, now: datetime, lookback: timedelta = timedelta(days=8)) -> datetime | None:
    """The latest moment at or before ``now`` when ``trigger`` fired (None if not within ``lookback``)."""
    last: datetime | None = None
    fire = trigger.get_next_fire_time(None, now - lookback)
    while fire is not None and fire <= now:
        last = fire
        fire = trigger.get_next_fire_time(fire, fire + timedelta(seconds=1))
    return last
