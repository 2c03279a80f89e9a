"""`citybot summary`: print, write and queue a week's summary from the command line."""

from __future__ import annotations

import asyncio
import csv
import io
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from models.db import Database
from models.migrate import upgrade
from services.clock import ManualClock
from tests.conftest import make_services
from tests.integration.summary_world import SUMMARY_TIME, build_world

runner = CliRunner()


@pytest.fixture
def db_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A database with the hand-computed city, named by CITYBOT_DATABASE_URL; the working directory is tmp."""
    path = tmp_path / "city.db"
    url = f"sqlite+aiosqlite:///{path}"

    async def setup() -> None:
        await upgrade(url)
        db = Database(url)
        await build_world(make_services(db, ManualClock(SUMMARY_TIME), tmp_path))
        await db.dispose()

    asyncio.run(setup())
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CITYBOT_DATABASE_URL", url)
    monkeypatch.delenv("CITYBOT_CONFIG", raising=False)
    return path


def test_text_is_printed_in_the_chosen_language_and_area(db_file: Path) -> None:
    zh = runner.invoke(app, ["summary", "--week", "2026-W47"])
    assert zh.exit_code == 0, zh.output
    assert zh.output.startswith("城市管理周通报 2026-W47（2026-11-16 至 2026-11-22）：全市\n")
    assert "受理 9（较上周 +7）" in zh.output
    en = runner.invoke(app, ["summary", "--week", "2026-W47", "--lang", "en", "--unit", "S1"])
    assert en.exit_code == 0, en.output
    assert en.output.startswith("Weekly report 2026-W47 (2026-11-16 – 2026-11-22): 东华门街道\n")


def test_csv_is_written_with_one_row_per_unit(db_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "w47.csv"
    result = runner.invoke(app, ["summary", "--week", "2026-W47", "--format", "csv", "--out", str(out)])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert [r["unit_id"] for r in rows] == ["", "C1", "C2", "D1", "G1", "G2", "S1", "S2"]
    s1 = next(r for r in rows if r["unit_id"] == "S1")
    assert (s1["unit_name"], s1["received"], s1["on_time_rate"], s1["rework_rate"]) == (
        "东华门街道",
        "5",
        "0.3333",
        "0.3333",
    )


def test_png_is_written(db_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "w47.png"
    result = runner.invoke(app, ["summary", "--week", "2026-W47", "--format", "png", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_send_queues_once(db_file: Path) -> None:
    with sqlite3.connect(db_file) as conn:
        conn.execute(
            "INSERT INTO subscriptions (channel, address, language, active, created_at, subscribed_at)"
            " VALUES ('telegram', '-77', 'en', 1, '2026-11-01', '2026-11-01')"
        )
    first = runner.invoke(app, ["summary", "--week", "2026-W46", "--send"])
    assert first.exit_code == 0, first.output
    assert "1 recipients, 1 queued now, 0 queued before" in first.output
    again = runner.invoke(app, ["summary", "--week", "2026-W46", "--send"])
    assert "1 recipients, 0 queued now, 1 queued before" in again.output
    with sqlite3.connect(db_file) as conn:
        keys = [row[0] for row in conn.execute("SELECT dedupe_key FROM outbox ORDER BY id")]
    assert keys == ["summary:2026-W46:telegram:-77"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--week", "2026-W99"], "citybot: 2026 has no ISO week 99"),
        (["--week", "last"], "citybot: not an ISO week (expected YYYY-Www): 'last'"),
        (["--format", "pdf"], "citybot: --format must be one of text, csv, png"),
        (["--lang", "fr"], "citybot: --lang must be zh or en"),
        (["--week", "2026-W47", "--unit", "X9"], "citybot: no unit with id 'X9'"),
        (
            ["--week", "2999-W01", "--send"],
            "citybot: week 2999-W01 has not ended yet: send it from 2999-01-07 00:00 on",
        ),
    ],
)
def test_mistakes_are_one_line_errors(db_file: Path, args: list[str], message: str) -> None:
    result = runner.invoke(app, ["summary", *args])
    assert result.exit_code == 2
    assert result.output.strip() == message
