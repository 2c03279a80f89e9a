"""`citybot run` in webhook mode refuses to start without a usable secret, before touching anything."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app

runner = CliRunner()


@pytest.fixture
def webhook_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.chdir(tmp_path)  # no .env here
    monkeypatch.setenv("CITYBOT_TELEGRAM_TOKEN", "123456:webhook-cli-test")
    monkeypatch.setenv("CITYBOT_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'city.db'}")
    monkeypatch.setenv("CITYBOT_WEBHOOK_URL", "https://bot.example.org/telegram")
    monkeypatch.delenv("CITYBOT_WEBHOOK_SECRET", raising=False)
    return tmp_path


def test_webhook_mode_without_a_secret_says_how_to_make_one(webhook_env: Path) -> None:
    result = runner.invoke(app, ["run"])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("citybot: CITYBOT_WEBHOOK_SECRET is not set;")
    assert "secrets.token_urlsafe(32)" in lines[0]
    assert not (webhook_env / "city.db").exists()  # refused before migrating anything


def test_a_secret_telegram_would_refuse_is_a_clear_error(webhook_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CITYBOT_WEBHOOK_SECRET", "has spaces and !")
    result = runner.invoke(app, ["run"])
    assert result.exit_code == 2
    assert (
        result.output.strip()
        == "citybot: CITYBOT_WEBHOOK_SECRET may hold only 1-256 of A-Z a-z 0-9 _ - (Telegram's rule)"
    )
