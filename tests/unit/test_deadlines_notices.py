"""SLA notice texts and recipients: each reader's language, the city's time, the escalation chain's gaps."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from models.db import Database
from models.status import CaseStatus
from services.clock import ManualClock
from services.config import load_config
from services.context import Services
from services.deadlines import SlaAction
from services.i18n import Translator
from services.messages import format_duration
from services.sla_notices import SweptCase, render
from services.sla_recipients import Directory, Recipient

NOW = datetime(2026, 11, 16, 17, 0, tzinfo=ZoneInfo("Asia/Shanghai")).astimezone(UTC)  # 17:00 Beijing


@pytest.fixture
def services() -> Services:
    return Services.build(Database("sqlite+aiosqlite://"), load_config(), ManualClock(NOW), "Asia/Shanghai", Path("/x"))


def person(user_id: int, language: str, name: str = "", reachable: bool = True) -> Recipient:
    locale = "zh_CN" if language == "zh" else "en"
    channel, address = ("telegram", str(1000 + user_id)) if reachable else (None, None)
    return Recipient(user_id, channel, address, name or f"u{user_id}", locale)


def case(owner_id: int | None = None, chain: str = "G1>C1>S1>D1") -> SweptCase:
    return SweptCase(
        id=12,
        status=CaseStatus.ACCEPTED,
        category="0102",
        unit_id="G1",
        chain=chain,
        owner_id=owner_id,
        due_at=NOW - timedelta(hours=2, minutes=30),
        clock_started_at=NOW - timedelta(days=1),
        clock_unit="working_hours",
        resolved_at=None,
        reminder_sent_at=None,
        escalation_level=0,
        last_chase_at=None,
    )


def directory() -> Directory:
    return Directory(
        officers={"G1": [person(1, "zh"), person(2, "en")]},
        supervisors={"S1": [person(3, "en")], "D1": [person(4, "zh"), person(5, "en")]},
        owners={2: person(2, "en", "Anna")},
        unit_names={"G1": "多福巷01网格"},
    )


def test_handlers_are_the_owner_once_accepted_else_every_officer() -> None:
    d = directory()
    assert [u.id for u in d.handlers_of(case())] == [1, 2]
    assert [u.id for u in d.handlers_of(case(owner_id=2))] == [2]


def test_owner_who_blocked_the_bot_falls_back_to_the_unit_officers() -> None:
    d = directory()
    d.owners[2] = person(2, "en", "Anna", reachable=False)
    assert [u.id for u in d.handlers_of(case(owner_id=2))] == [1, 2]


def test_escalation_skips_a_level_with_nobody_and_stops_at_the_top() -> None:
    d = directory()
    assert [u.id for u in d.escalation_targets(case(), 1)] == [3]  # no community supervisor: the street
    assert [u.id for u in d.escalation_targets(case(), 3)] == [4, 5]
    assert [u.id for u in d.escalation_targets(case(), 5)] == [4, 5]
    assert d.escalation_targets(case(chain="G1>C1"), 1) == []
    assert [u.id for u in d.escalation_targets(case(chain="D1"), 2)] == [4, 5]  # a department's short chain


def test_durations_read_naturally_in_both_languages() -> None:
    en, zh = Translator("en"), Translator("zh_CN")
    assert format_duration(en, timedelta(hours=2, minutes=5)) == "2 h 5 min"
    assert format_duration(zh, timedelta(hours=2, minutes=5)) == "2小时5分钟"
    assert format_duration(en, timedelta(days=3, hours=4, minutes=59)) == "3 d 4 h"
    assert format_duration(zh, timedelta(days=1)) == "1天"
    assert format_duration(en, timedelta(seconds=20)) == "under a minute"


def test_overdue_chase_names_case_category_unit_and_local_deadline(services: Services) -> None:
    text = render(services, case(), SlaAction("chase", 1), person(1, "zh"), directory(), NOW)
    assert text.startswith(
        "⚠️ 仍未处置：案件 #12（暴露垃圾，多福巷01网格）已超期2小时30分钟（处置时限 2026-11-16 14:30）。"
    )
    text = render(services, case(), SlaAction("chase", 1), person(2, "en"), directory(), NOW)
    assert "case #12 (Exposed litter, 多福巷01网格) is 2 h 30 min past its deadline 2026-11-16 14:30" in text


def test_escalation_names_the_level_and_who_handles_it(services: Services) -> None:
    d = directory()
    text = render(services, case(owner_id=2), SlaAction("escalation", 2), person(3, "zh"), d, NOW)
    assert text.startswith("🔔 督办（第2级）：案件 #12（暴露垃圾，多福巷01网格）已超期2小时30分钟")
    assert "处置人：Anna" in text
    text = render(services, case(), SlaAction("escalation", 1), person(3, "en"), d, NOW)
    assert "Escalation, level 1" in text and "Handled by: not accepted yet." in text
    assert text.endswith("Send /case 12 for details.")


def test_reminder_says_how_long_is_left(services: Services) -> None:
    c = case()
    c.due_at = NOW + timedelta(hours=1)
    text = render(services, c, SlaAction("reminder"), person(2, "en"), directory(), NOW)
    assert text.startswith("⏰ Reminder: case #12 (Exposed litter, 多福巷01网格) is due at 2026-11-16 18:00, in 1 h.")
