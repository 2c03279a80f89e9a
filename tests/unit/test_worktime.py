"""The SLA deadline clock: working hours, holidays, make-up days, pauses and time zones."""

from __future__ import annotations

import tomllib
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from services.worktime import (
    TimeLimit,
    WorkCalendar,
    WorkCalendarError,
    due_at,
    extend_for_pause,
    fraction_elapsed,
    reminder_at,
    unit_for_clock,
    working_time_between,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
BERLIN = ZoneInfo("Europe/Berlin")
PLAIN = WorkCalendar()  # Mon–Fri 08–12 / 14–18 Shanghai, no holidays

# Official 2026 schedule (国务院办公厅关于2026年部分节假日安排的通知): Spring Festival 2-15…2-23 with
# make-up Saturdays 2-14 and 2-28; Mid-Autumn 9-25…9-27; National Day 10-1…10-7 with make-up days
# Sunday 9-20 and Saturday 10-10.
CHINA_2026_CONFIG: dict[str, Any] = {
    "timezone": "Asia/Shanghai",
    "periods": [["08:00", "12:00"], ["14:00", "18:00"]],
    "weekdays": [1, 2, 3, 4, 5],
    "holidays": [f"2026-02-{d}" for d in range(15, 24)]
    + ["2026-09-25", "2026-09-26", "2026-09-27"]
    + [f"2026-10-0{d}" for d in range(1, 8)],
    "makeup_days": ["2026-02-14", "2026-02-28", "2026-09-20", "2026-10-10"],
}
CHINA_2026 = WorkCalendar.from_config(CHINA_2026_CONFIG)


def sh(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    """A 2026 moment in Shanghai local time."""
    return datetime(2026, month, day, hour, minute, tzinfo=SHANGHAI)


def working(hours: float) -> TimeLimit:
    return TimeLimit(hours, "working_hours")


# --- working hours on an ordinary week (2026-03-13 is a Friday) ---


def test_friday_morning_report_skips_lunch() -> None:
    assert due_at(sh(3, 13, 11), working(2), PLAIN) == sh(3, 13, 15)


def test_late_friday_report_runs_into_monday() -> None:
    assert due_at(sh(3, 13, 17, 30), working(2), PLAIN) == sh(3, 16, 9, 30)


def test_evening_report_starts_next_working_morning() -> None:
    assert due_at(sh(3, 10, 20), working(2), PLAIN) == sh(3, 11, 10)


def test_report_during_lunch_counts_from_afternoon_start() -> None:
    assert due_at(sh(3, 10, 12, 30), working(2), PLAIN) == sh(3, 10, 16)


def test_early_morning_half_hour_limit() -> None:
    assert due_at(sh(3, 10, 6), TimeLimit.parse("30m", "working"), PLAIN) == sh(3, 10, 8, 30)


def test_limit_that_fills_the_day_ends_at_closing_time() -> None:
    assert due_at(sh(3, 9, 8), working(8), PLAIN) == sh(3, 9, 18)


def test_result_is_utc_and_timezone_aware() -> None:
    due = due_at(sh(3, 13, 11), working(2), PLAIN)
    assert due.tzinfo is UTC
    assert due == datetime(2026, 3, 13, 7, tzinfo=UTC)


# --- working days: one day = the schedule's daily working time ---


def test_one_working_day_is_same_time_next_working_day() -> None:
    assert due_at(sh(3, 10, 10), TimeLimit.parse("1d", "working"), PLAIN) == sh(3, 11, 10)


def test_one_working_day_from_evening_is_end_of_next_working_day() -> None:
    assert due_at(sh(3, 10, 20), TimeLimit.parse("1d", "working"), PLAIN) == sh(3, 11, 18)


def test_one_working_day_follows_a_custom_schedule_length() -> None:
    calendar = WorkCalendar.from_config({"periods": [["09:00", "12:00"], ["13:00", "17:00"]]})
    assert calendar.schedule.daily_working_time == timedelta(hours=7)
    # Thursday 16:00: 1 h left today, then 6 h on Friday → Friday 16:00.
    assert due_at(sh(3, 12, 16), TimeLimit(1, "working_days"), calendar) == sh(3, 13, 16)


# --- official 2026 holidays and make-up days ---


def test_2026_calendar_days_are_classified() -> None:
    assert not CHINA_2026.is_working_day(date(2026, 10, 1))  # National Day, Thursday
    assert CHINA_2026.is_working_day(date(2026, 10, 10))  # make-up Saturday
    assert CHINA_2026.is_working_day(date(2026, 9, 20))  # make-up Sunday
    assert not CHINA_2026.is_working_day(date(2026, 10, 11))  # ordinary Sunday
    assert CHINA_2026.is_working_day(date(2026, 10, 8))


def test_national_day_week_is_skipped() -> None:
    assert due_at(sh(9, 30, 17), working(2), CHINA_2026) == sh(10, 8, 9)


def test_makeup_saturday_after_national_day_is_worked() -> None:
    assert due_at(sh(10, 9, 17), working(2), CHINA_2026) == sh(10, 10, 9)
    assert due_at(sh(10, 9, 17), working(2), PLAIN) == sh(10, 12, 9)


def test_makeup_sunday_before_national_day_is_worked() -> None:
    assert due_at(sh(9, 18, 17), working(2), CHINA_2026) == sh(9, 20, 9)


def test_mid_autumn_friday_is_skipped_for_a_working_day() -> None:
    assert due_at(sh(9, 24, 17), TimeLimit(1, "working_days"), CHINA_2026) == sh(9, 28, 17)


def test_spring_festival_nine_days_off() -> None:
    # Friday 16:00 + 1 working day: 2 h on Friday, 6 h on make-up Saturday 2-14.
    assert due_at(sh(2, 13, 16), TimeLimit(1, "working_days"), CHINA_2026) == sh(2, 14, 16)
    # Saturday 17:00 + 2 h: 1 h on 2-14, then nothing until Tuesday 2-24.
    assert due_at(sh(2, 14, 17), working(2), CHINA_2026) == sh(2, 24, 9)


# --- emergency (calendar) clock ---


def test_emergency_hours_run_through_midnight_and_holidays() -> None:
    limit = TimeLimit.parse("2h", "emergency")
    assert due_at(sh(10, 1, 23), limit, CHINA_2026) == sh(10, 2, 1)


def test_emergency_day_is_same_local_time_next_day() -> None:
    assert due_at(sh(10, 1, 10), TimeLimit.parse("1d", "emergency"), CHINA_2026) == sh(10, 2, 10)


# --- suspension (挂账) ---


def test_suspension_across_weekend_extends_by_working_time_only() -> None:
    start = sh(3, 13, 11)
    due = due_at(start, TimeLimit(1, "working_days"), PLAIN)
    assert due == sh(3, 16, 11)
    # Paused Friday 16:00 → Monday 10:00: 2 h Friday + 2 h Monday of working time.
    assert working_time_between(sh(3, 13, 16), sh(3, 16, 10), "working_hours", PLAIN) == timedelta(hours=4)
    assert extend_for_pause(due, sh(3, 13, 16), sh(3, 16, 10), "working_days", PLAIN) == sh(3, 16, 17)


def test_suspension_on_emergency_clock_extends_by_real_time() -> None:
    due = sh(3, 13, 18)
    assert extend_for_pause(due, sh(3, 13, 16), sh(3, 16, 10), "calendar_hours", PLAIN) == sh(3, 16, 12)


# --- fraction elapsed and reminders ---


def test_three_quarters_of_working_time_ignores_lunch() -> None:
    start, due = sh(3, 13, 11), sh(3, 13, 15)  # 2 working hours
    assert fraction_elapsed(start, due, sh(3, 13, 14, 30), "working_hours", PLAIN) == pytest.approx(0.75)
    assert reminder_at(start, due, 0.75, "working_hours", PLAIN) == sh(3, 13, 14, 30)


def test_fraction_stands_still_during_lunch_and_exceeds_one_when_overdue() -> None:
    start, due = sh(3, 13, 11), sh(3, 13, 15)
    at_noon = fraction_elapsed(start, due, sh(3, 13, 12), "working_hours", PLAIN)
    assert at_noon == pytest.approx(0.5)
    assert fraction_elapsed(start, due, sh(3, 13, 13, 59), "working_hours", PLAIN) == at_noon
    assert fraction_elapsed(start, due, sh(3, 13, 10), "working_hours", PLAIN) == 0.0
    assert fraction_elapsed(start, due, sh(3, 13, 17), "working_hours", PLAIN) == pytest.approx(2.0)


# --- time zones (Europe/Berlin switches to summer time on 2026-03-29 at 02:00) ---


def test_calendar_hours_across_dst_are_real_elapsed_time() -> None:
    berlin = WorkCalendar(tz=BERLIN)
    start = datetime(2026, 3, 29, 1, 30, tzinfo=BERLIN)
    due = due_at(start, TimeLimit(2, "calendar_hours"), berlin)
    assert due - start == timedelta(hours=2)
    assert due.astimezone(BERLIN).hour == 4  # 01:30 CET + 2 h = 04:30 CEST on the wall clock


def test_working_hours_across_dst_weekend_keep_local_schedule() -> None:
    berlin = WorkCalendar(tz=BERLIN)
    due = due_at(datetime(2026, 3, 27, 17, tzinfo=BERLIN), working(2), berlin)
    assert due.astimezone(BERLIN) == datetime(2026, 3, 30, 9, tzinfo=BERLIN)
    friday, monday = datetime(2026, 3, 27, 8, tzinfo=BERLIN), datetime(2026, 3, 30, 18, tzinfo=BERLIN)
    assert working_time_between(friday, monday, "working_hours", berlin) == timedelta(hours=16)


def test_calendar_day_across_dst_keeps_the_wall_clock_time() -> None:
    start = datetime(2026, 3, 28, 10, tzinfo=BERLIN)
    due = due_at(start, TimeLimit(1, "calendar_days"), WorkCalendar(tz=BERLIN))
    assert due.astimezone(BERLIN) == datetime(2026, 3, 29, 10, tzinfo=BERLIN)
    assert due - start == timedelta(hours=23)


def test_shanghai_has_no_dst_shift_on_the_same_weekend() -> None:
    due = due_at(sh(3, 29, 1, 30), TimeLimit(1, "calendar_days"), PLAIN)
    assert due - sh(3, 29, 1, 30) == timedelta(hours=24)


def test_naive_datetime_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        due_at(datetime(2026, 3, 13, 11), working(2), PLAIN)


# --- parsing limits and configuration ---


@pytest.mark.parametrize(
    ("text", "clock", "expected"),
    [
        ("2h", "working", TimeLimit(2, "working_hours")),
        ("2h", "emergency", TimeLimit(2, "calendar_hours")),
        ("1d", "working", TimeLimit(1, "working_days")),
        ("1d", "emergency", TimeLimit(1, "calendar_days")),
        ("30m", "working", TimeLimit(0.5, "working_hours")),
        (" 1.5 H ", "emergency", TimeLimit(1.5, "calendar_hours")),
        ("1wd", "emergency", TimeLimit(1, "working_days")),
    ],
)
def test_limit_parsing_follows_category_clock(text: str, clock: str, expected: TimeLimit) -> None:
    assert TimeLimit.parse(text, clock) == expected


@pytest.mark.parametrize("text", ["", "2", "h", "-1h", "2 hours", "1w"])
def test_unreadable_limit_is_rejected(text: str) -> None:
    with pytest.raises(WorkCalendarError, match="cannot read time limit"):
        TimeLimit.parse(text, "working")


def test_unknown_clock_is_rejected() -> None:
    with pytest.raises(WorkCalendarError, match="unknown clock 'sometimes'"):
        TimeLimit.parse("2h", "sometimes")
    assert unit_for_clock("emergency", "days") == "calendar_days"


def test_calendar_loads_from_toml_with_native_dates() -> None:
    text = """
    timezone = "Asia/Shanghai"
    periods = [["08:30", "12:00"], ["13:30", "17:30"]]
    holidays = [2026-10-01, 2026-10-02]
    makeup_days = ["2026-10-10"]
    """
    calendar = WorkCalendar.from_config(tomllib.loads(text))
    assert not calendar.is_working_day(date(2026, 10, 2))
    assert calendar.is_working_day(date(2026, 10, 10))
    assert due_at(sh(9, 30, 17), working(1), calendar) == sh(10, 5, 9)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"periods": [["08:00", "12:00"], ["11:00", "18:00"]]}, "must not overlap"),
        ({"periods": [["14:00", "18:00"], ["08:00", "12:00"]]}, "must be in order"),
        ({"periods": [["12:00", "08:00"]]}, "must be before end"),
        ({"periods": [["8am", "12:00"]]}, "HH:MM"),
        ({"periods": [["08:00", "25:00"]]}, "HH:MM"),
        ({"periods": ["08:00-12:00"]}, r"expected \[start, end\]"),
        ({"periods": []}, "at least one working period"),
        ({"weekdays": [1, 8]}, "weekday number"),
        ({"timezone": "Mars/Olympus"}, "unknown timezone"),
        ({"holidays": ["2026-13-01"]}, "YYYY-MM-DD"),
        ({"makeup_days": ["2026-10-01"]}, "both a holiday and a make-up"),
        ({"holiday": ["2026-10-01"]}, "unknown work calendar keys"),
    ],
)
def test_invalid_config_is_reported_clearly(change: dict[str, Any], message: str) -> None:
    config = {**CHINA_2026_CONFIG, **change}
    with pytest.raises(WorkCalendarError, match=message):
        WorkCalendar.from_config(config)


def test_calendar_without_any_working_time_fails_instead_of_hanging() -> None:
    first = date(2026, 1, 1)
    every_day = {first + timedelta(days=n) for n in range(11 * 366)}
    calendar = WorkCalendar(holidays=every_day)
    with pytest.raises(WorkCalendarError, match="no working time"):
        due_at(sh(1, 1, 9), working(1), calendar)
