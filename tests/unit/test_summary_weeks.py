"""ISO weeks on the Beijing calendar, and the cron schedule of the weekly summary."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from services.summary.weeks import IsoWeek, cron_trigger, last_fire_time

BEIJING = ZoneInfo("Asia/Shanghai")


def test_a_week_is_parsed_and_printed_in_iso_form() -> None:
    assert IsoWeek.parse("2026-W47") == IsoWeek(2026, 47)
    assert IsoWeek.parse("2026w07") == IsoWeek(2026, 7)
    assert str(IsoWeek(2026, 7)) == "2026-W07"


@pytest.mark.parametrize("text", ["2026-47", "W47", "2026-W00", "2025-W53", "next week"])
def test_what_is_not_an_iso_week_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        IsoWeek.parse(text)


def test_a_week_runs_from_monday_midnight_beijing_which_is_sunday_afternoon_utc() -> None:
    start, end = IsoWeek(2026, 47).bounds(BEIJING)
    assert start == datetime(2026, 11, 15, 16, 0, tzinfo=UTC)
    assert end == datetime(2026, 11, 22, 16, 0, tzinfo=UTC)


def test_sunday_night_in_beijing_belongs_to_that_week_and_monday_morning_to_the_next() -> None:
    sunday_2330 = datetime(2026, 11, 22, 15, 30, tzinfo=UTC)  # Sunday 23:30 Beijing
    monday_0010 = datetime(2026, 11, 22, 16, 10, tzinfo=UTC)  # Monday 00:10 Beijing, still Sunday in UTC
    assert IsoWeek.containing(sunday_2330, BEIJING) == IsoWeek(2026, 47)
    assert IsoWeek.containing(monday_0010, BEIJING) == IsoWeek(2026, 48)
    assert IsoWeek.containing(monday_0010, ZoneInfo("UTC")) == IsoWeek(2026, 47)


def test_weeks_cross_the_new_year_as_iso_8601_says() -> None:
    new_year = datetime(2027, 1, 1, 4, 0, tzinfo=UTC)  # a Friday, in 2026's week 53
    assert IsoWeek.containing(new_year, BEIJING) == IsoWeek(2026, 53)
    assert IsoWeek(2027, 1).previous() == IsoWeek(2026, 53)
    assert IsoWeek.last_completed(datetime(2027, 1, 4, 1, 0, tzinfo=UTC), BEIJING) == IsoWeek(2026, 53)


def test_cron_weekday_numbers_follow_cron_not_apscheduler() -> None:
    # In cron(5) 1 is Monday; APScheduler 3 alone would read it as Tuesday.
    for expr in ("0 9 * * 1", "0 9 * * mon"):
        fire = cron_trigger(expr, BEIJING).get_next_fire_time(None, datetime(2026, 11, 17, tzinfo=BEIJING))
        assert fire == datetime(2026, 11, 23, 9, 0, tzinfo=BEIJING), expr
    sunday = cron_trigger("30 8 * * 0", BEIJING).get_next_fire_time(None, datetime(2026, 11, 17, tzinfo=BEIJING))
    assert sunday is not None and sunday.isoweekday() == 7


def test_a_cron_line_with_the_wrong_number_of_fields_is_refused() -> None:
    with pytest.raises(ValueError):
        cron_trigger("0 9 * mon", BEIJING)


def test_last_fire_time_is_the_latest_monday_nine_not_after_now() -> None:
    trigger = cron_trigger("0 9 * * mon", BEIJING)
    monday_11 = datetime(2026, 11, 23, 11, 0, tzinfo=BEIJING)
    monday_8 = datetime(2026, 11, 23, 8, 0, tzinfo=BEIJING)
    assert last_fire_time(trigger, monday_11) == datetime(2026, 11, 23, 9, 0, tzinfo=BEIJING)
    assert last_fire_time(trigger, monday_8) == datetime(2026, 11, 16, 9, 0, tzinfo=BEIJING)
