"""The deadline as the reporter's /my shows it: due, or overdue and by how much, only while the clock runs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from models.db import Database
from models.status import CaseStatus
from services.clock import ManualClock
from services.config import load_config
from services.context import Services
from services.i18n import Translator
from services.sla_status import deadline_note

DUE = datetime(2026, 11, 16, 8, 0, tzinfo=UTC)  # 16:00 in Beijing
LATER = datetime(2026, 11, 18, 11, 0, tzinfo=UTC)  # 2 d 3 h later


@dataclass
class Line:
    status: str
    due_at: datetime | None = DUE


@pytest.fixture
def services() -> Services:
    return Services.build(
        Database("sqlite+aiosqlite://"), load_config(), ManualClock(DUE), "Asia/Shanghai", Path("/nowhere")
    )


@pytest.mark.parametrize("status", [CaseStatus.DISPATCHED, CaseStatus.ACCEPTED, CaseStatus.REWORK])
def test_a_running_clock_past_its_deadline_is_marked_overdue(services: Services, status: CaseStatus) -> None:
    zh, en = Translator("zh_CN"), Translator("en")
    assert deadline_note(services, Line(status), LATER, zh) == "⚠️ 时限 2026-11-16 16:00，已超期2天3小时"
    assert deadline_note(services, Line(status), LATER, en) == "⚠️ due 2026-11-16 16:00, 2 d 3 h overdue"


def test_before_the_deadline_only_the_deadline_shows(services: Services) -> None:
    assert deadline_note(services, Line(CaseStatus.DISPATCHED), DUE, Translator("en")) == "due 2026-11-16 16:00"


@pytest.mark.parametrize("status", [CaseStatus.SUSPENDED, CaseStatus.RESOLVED, CaseStatus.RETURNED])
def test_a_stopped_clock_is_never_overdue(services: Services, status: CaseStatus) -> None:
    assert deadline_note(services, Line(status), LATER, Translator("en")) == "due 2026-11-16 16:00"


@pytest.mark.parametrize("status", [CaseStatus.CLOSED, CaseStatus.REJECTED, CaseStatus.DUPLICATE])
def test_a_finished_case_shows_no_deadline(services: Services, status: CaseStatus) -> None:
    assert deadline_note(services, Line(status), LATER, Translator("en")) is None


def test_a_case_without_a_deadline_shows_none(services: Services) -> None:
    assert deadline_note(services, Line(CaseStatus.UNROUTED, None), LATER, Translator("en")) is None
