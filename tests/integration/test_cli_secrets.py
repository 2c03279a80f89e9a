"""`citybot` never prints the bot token or the database password, whatever fails."""

from __future__ import annotations

import asyncio
import logging
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.redaction import RedactingFormatter, Redactor, safe_url
from sandbox.server import SandboxServer

TOKEN = "424242:AAH-very-secret-token_value"
PASSWORD = "p@ss:w0rd-secret"
PG_URL = "postgresql+asyncpg://citybot:p%40ss%3Aw0rd-secret@127.0.0.1:1/city"  # nothing listens on port 1
runner = CliRunner()


async def citybot(*args: str, env: dict[str, str], cwd: Path) -> tuple[int, str]:
    """Run the real console entry point; returns its exit code and everything it printed."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", *args, env=env, cwd=cwd,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    out, _ = await asyncio.wait_for(process.communicate(), 120)
    assert process.returncode is not None
    return process.returncode, out.decode()


def environment(tmp_path: Path, **values: str) -> dict[str, str]:
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("CITYBOT_")}
    env.update(CITYBOT_DATA_DIR=str(tmp_path / "data"), **values)
    return env


async def test_a_bot_api_that_rejects_the_token_does_not_get_it_printed(tmp_path: Path) -> None:
    async with SandboxServer() as sandbox:
        env = environment(
            tmp_path,
            CITYBOT_TELEGRAM_TOKEN=TOKEN,
            CITYBOT_TELEGRAM_BASE_URL=f"{sandbox.url}/wrong/bot",  # answers 404: PTB says the token was rejected
            CITYBOT_TELEGRAM_BASE_FILE_URL=f"{sandbox.url}/file/bot",
            CITYBOT_DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'city.db'}",
        )
        code, output = await citybot("run", "--no-jobs", env=env, cwd=tmp_path)
    assert code == 1
    assert "AAH-very-secret-token_value" not in output
    assert output.strip().splitlines()[-1] == "citybot: InvalidToken: The token `***` was rejected by the server."


async def test_a_database_that_cannot_be_reached_does_not_get_its_password_printed(tmp_path: Path) -> None:
    env = environment(tmp_path, CITYBOT_DATABASE_URL=PG_URL)
    code, output = await citybot("db", "upgrade", env=env, cwd=tmp_path)
    assert code == 1
    assert "w0rd-secret" not in output and "p%40ss" not in output
    assert output.strip().splitlines()[-1].startswith("citybot: ")


def test_db_upgrade_names_the_database_without_its_password(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CITYBOT_DATABASE_URL", PG_URL)
    monkeypatch.setattr("models.migrate.upgrade_sync", lambda url, revision="head": None)
    result = runner.invoke(app, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "database at postgresql+asyncpg://citybot:***@127.0.0.1:1/city is at revision head"


def test_log_lines_and_their_tracebacks_are_masked() -> None:
    redact = Redactor([TOKEN, PASSWORD])
    formatter = RedactingFormatter(redact, "%(levelname)s %(message)s")
    try:
        raise RuntimeError(f"POST https://api.telegram.org/bot{TOKEN}/getMe failed")
    except RuntimeError as exc:
        record = logging.LogRecord(
            "x", logging.ERROR, __file__, 1, "connect with %s", (PASSWORD,), (type(exc), exc, None)
        )
    text = formatter.format(record)
    assert TOKEN not in text and PASSWORD not in text
    assert "ERROR connect with ***" in text and "bot***/getMe" in text


def test_safe_url_masks_written_and_decoded_passwords() -> None:
    assert safe_url(PG_URL) == "postgresql+asyncpg://citybot:***@127.0.0.1:1/city"
    assert safe_url("sqlite+aiosqlite:///citybot.db") == "sqlite+aiosqlite:///citybot.db"
