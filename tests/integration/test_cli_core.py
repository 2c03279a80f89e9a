"""The `citybot` command line: set-up commands and their errors."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app

runner = CliRunner()


def test_run_without_a_token_is_a_one_line_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("CITYBOT_TELEGRAM_TOKEN", raising=False)
    monkeypatch.chdir(tmp_path)  # no .env here
    result = runner.invoke(app, ["run"])
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        "citybot: CITYBOT_TELEGRAM_TOKEN is not set; get a token from @BotFather and export it "
        "(or set CITYBOT_WECHAT_APP_ID to serve only WeChat)"
    ]
    assert "Traceback" not in result.output


def test_db_upgrade_creates_the_schema(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    db_file = tmp_path / "city.db"
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CITYBOT_DATABASE_URL", f"sqlite+aiosqlite:///{db_file}")
    result = runner.invoke(app, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    tables = {row[0] for row in sqlite3.connect(db_file).execute("select name from sqlite_master where type='table'")}
    assert {"users", "cases", "case_events", "outbox", "grid_units", "report_drafts"} <= tables
    # Running it again is harmless.
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0


def test_invalid_settings_are_a_one_line_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CITYBOT_WEBHOOK_PORT", "not-a-port")
    result = runner.invoke(app, ["db", "upgrade"])
    assert result.exit_code == 2
    assert len(result.output.strip().splitlines()) == 1
    assert result.output.startswith("citybot: invalid settings")
