"""``citybot jobs run sla [--now]``: one sweep at a given time, for cron deployments and catch-up."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from models.db import Database
from models.migrate import upgrade
from services.clock import ManualClock
from tests.conftest import make_services
from tests.integration.sla_world import beijing, build_world, dispatch_case


@pytest.fixture
def database_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A database with one litter case dispatched Monday 10:00 (reminder 15:00, deadline 16:00)."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"

    async def prepare() -> None:
        await upgrade(url)
        db = Database(url)
        services = make_services(db, ManualClock(beijing(2026, 11, 16, 10)), tmp_path)
        await dispatch_case(services, await build_world(services), "0102", beijing(2026, 11, 16, 10))
        await db.dispose()

    asyncio.run(prepare())
    monkeypatch.setenv("CITYBOT_DATABASE_URL", url)
    monkeypatch.chdir(tmp_path)  # no stray .env file
    return url


def run_sla(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["jobs", "run", "sla", *args])
    return result.exit_code, result.output


def test_one_sweep_at_a_local_time_prints_what_it_queued(database_url: str) -> None:
    code, output = run_sla("--now", "2026-11-16T15:00")  # no offset: the city's time
    assert code == 0
    assert "SLA sweep at 2026-11-16T15:00+08:00: 1 case(s) checked, 2 notice(s) queued" in output
    assert "case #1: reminder -> user 1 (telegram 101)" in output
    assert "case #1: reminder -> user 2 (telegram 102)" in output


def test_running_it_twice_queues_nothing_twice(database_url: str) -> None:
    run_sla("--now", "2026-11-16T15:00")
    code, output = run_sla("--now", "2026-11-16T15:00")
    assert code == 0
    assert "0 notice(s) queued" in output


def test_catch_up_after_days_sends_one_overdue_notice_and_the_top_escalation(database_url: str) -> None:
    code, output = run_sla("--now", "2026-11-19T01:00:00Z")  # Thursday 09:00 in Beijing
    assert code == 0
    lines = [line.strip() for line in output.splitlines()[1:]]
    assert lines == [
        "case #1: overdue -> user 1 (telegram 101)",
        "case #1: overdue -> user 2 (telegram 102)",
        "case #1: escalation 3 -> user 5 (telegram 401)",
        "case #1: escalated 3 -> user 6 (telegram 900)",
    ]


def test_a_time_that_is_not_iso_8601_is_refused(database_url: str) -> None:
    code, output = run_sla("--now", "tomorrow")
    assert code == 2
    assert "'tomorrow' is not an ISO 8601 time" in output
