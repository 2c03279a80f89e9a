"""The ``citybot`` command line."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import sys
import traceback
from pathlib import Path
from typing import Annotated, Any

import typer

from bot.cli_api import api_command
from bot.cli_apikeys import apikeys_app
from bot.cli_grids import grids_app
from bot.cli_jobs import jobs_app
from bot.cli_officers import officers_app
from bot.cli_summary import summary_command
from bot.cli_users import users_app
from bot.redaction import RedactingFormatter, Redactor, database_passwords, safe_url
from bot.settings import Settings

app = typer.Typer(help="citybot: city-appearance reports routed to grid officers.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(jobs_app, name="jobs")
app.add_typer(grids_app, name="grids")
app.add_typer(officers_app, name="officers")
app.add_typer(apikeys_app, name="apikeys")
app.add_typer(users_app, name="users")
app.command("summary")(summary_command)
app.command("api")(api_command)


def fail(message: str, code: int = 2) -> None:
    """Print a one-line error and exit."""
    typer.echo(f"citybot: {message}", err=True)
    raise typer.Exit(code)


def load_settings() -> Settings:
    """Settings from the environment, with a one-line error when they are invalid."""
    try:
        return Settings()
    except Exception as exc:
        fail(f"invalid settings: {exc}".splitlines()[0])
        raise  # unreachable


LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def setup_logging(settings: Settings) -> None:
    """Plain logging to stderr at the configured level, with the token and passwords masked."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(RedactingFormatter(Redactor.for_settings(settings), LOG_FORMAT))
    logging.basicConfig(level=settings.log_level.upper(), handlers=[handler])
    logging.getLogger("httpx").setLevel(logging.WARNING)


@db_app.command("upgrade")
def db_upgrade(revision: str = typer.Argument("head", help="Alembic revision to reach")) -> None:
    """Create or migrate the database at CITYBOT_DATABASE_URL."""
    from models.migrate import upgrade_sync

    settings = load_settings()
    upgrade_sync(settings.database_url, revision)
    typer.echo(f"database at {safe_url(settings.database_url)} is at revision {revision}")


def _deployed_application(*, jobs: bool) -> tuple[Settings, Any]:
    """Settings checked, logging on, the database migrated, and the bot built: what `run` and `worker` share."""
    from bot.app import build_application
    from models.migrate import upgrade_sync

    settings = load_settings()
    if not settings.telegram_token:
        fail(
            "CITYBOT_TELEGRAM_TOKEN is not set; get a token from @BotFather and export it "
            "(or set CITYBOT_WECHAT_APP_ID to serve only WeChat)"
        )
    setup_logging(settings)
    upgrade_sync(settings.database_url)
    return settings, build_application(settings, jobs=jobs)


def _migrated(settings: Settings) -> None:
    """Logging on and the database migrated, for a process without the Telegram bot."""
    from models.migrate import upgrade_sync

    setup_logging(settings)
    upgrade_sync(settings.database_url)


_WEBHOOK_SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
GENERATE_SECRET = """python -c 'import secrets; print(secrets.token_urlsafe(32))'"""


def webhook_secret(settings: Settings) -> str:
    """The secret Telegram must send with every webhook request; a one-line error when it is missing or unusable."""
    secret = settings.webhook_secret or ""
    if not secret:
        fail(
            "CITYBOT_WEBHOOK_SECRET is not set; webhook mode needs it so that only Telegram can post updates. "
            f"Generate one with: {GENERATE_SECRET}"
        )
    if not _WEBHOOK_SECRET.match(secret):
        fail("CITYBOT_WEBHOOK_SECRET may hold only 1-256 of A-Z a-z 0-9 _ - (Telegram's rule)")
    return secret


@app.command()
def run(
    jobs: bool = typer.Option(True, help="Also run the outbox sender, SLA sweep and weekly summary here"),
) -> None:
    """Migrate the database and serve Telegram (polling, or a webhook when CITYBOT_WEBHOOK_URL is set) and, when
    CITYBOT_WECHAT_APP_ID is set, the WeChat callback (on its own when there is no Telegram token)."""
    from bot.cli_wechat import attach_wechat, run_wechat_only, wechat_settings
    from bot.serve import Webhook, http_servers, serve_bot

    settings = load_settings()
    wechat = wechat_settings(settings)
    if wechat is not None and not settings.telegram_token:
        _migrated(settings)
        run_wechat_only(settings, wechat, jobs=jobs)
        return
    webhook = Webhook(settings.webhook_url, webhook_secret(settings)) if settings.webhook_url else None
    settings, application = _deployed_application(jobs=jobs)
    # Telegram posts to CITYBOT_WEBHOOK_URL; a reverse proxy forwards the same path to the webhook server here,
    # which answers 403 to any request without the secret header.
    servers = http_servers(settings, application, webhook)
    if wechat is not None:
        attach_wechat(wechat, application, servers)
    with contextlib.suppress(KeyboardInterrupt):  # a Ctrl-C before the stop signals are taken over
        asyncio.run(serve_bot(application, servers, updates="webhook" if webhook else "polling", webhook=webhook))


@app.command()
def worker() -> None:
    """Run only the scheduled jobs (outbox, SLA sweep, summary), no updates: add as many as PostgreSQL allows.
    Without a Telegram token but with CITYBOT_WECHAT_APP_ID set, it delivers WeChat notices only."""
    from bot.cli_wechat import attach_wechat, run_wechat_only, wechat_settings
    from bot.serve import serve_bot
    from bot.servers import Servers

    settings = load_settings()
    wechat = wechat_settings(settings)
    if wechat is not None and not settings.telegram_token:
        _migrated(settings)
        run_wechat_only(settings, wechat, jobs=True, callback=False)
        return
    settings, application = _deployed_application(jobs=True)
    if wechat is not None:
        attach_wechat(wechat, application, None)  # delivers WeChat rows; the callback is `run`'s
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve_bot(application, Servers(), updates="none"))


@app.command()
def sandbox(
    port: int = typer.Option(8081, help="Port of the offline Bot API server"),
    host: str = typer.Option("127.0.0.1", help="Address to listen on"),
    rate_limits: bool = typer.Option(False, help="Enforce Telegram's rate limits (429 with retry_after)"),
) -> None:
    """Run the offline Telegram Bot API server, and the offline WeChat beside it."""
    from sandbox.server import serve

    typer.echo(f"sandbox Bot API at http://{host}:{port}/bot<token>/  (Ctrl-C to stop)")
    typer.echo(f"sandbox WeChat at http://{host}:{port}/cgi-bin/ (CITYBOT_WECHAT_API_BASE=http://{host}:{port}),")
    typer.echo(f"  its control API at http://{host}:{port}/sandbox/wechat/api/")
    try:
        asyncio.run(serve(host, port, rate_limits=rate_limits))
    except KeyboardInterrupt:
        pass


@app.command()
def demo(
    port: int = typer.Option(8080, help="Port of the web chat (and of the sandbox Bot API beside it)"),
    host: str = typer.Option("127.0.0.1", help="Address to listen on"),
    data_dir: Annotated[
        Path, typer.Option(help="Folder for the demo database and files, emptied on every start")
    ] = Path("var/demo"),
) -> None:
    """Run the offline demo: a seeded district, the sandbox Telegram with its web chat, and the bot."""
    from bot.demo import run_demo

    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        asyncio.run(run_demo(data_dir, host=host, port=port))
    except KeyboardInterrupt:
        pass
    except (OSError, RuntimeError) as exc:
        fail(str(exc).splitlines()[0] if str(exc) else repr(exc))


def main() -> None:
    """Entry point of the ``citybot`` console script."""
    try:
        app()
    except Exception as exc:  # the last resort: libraries put tokens and URLs into their messages
        redact = _redactor()
        sys.stderr.write(redact("".join(traceback.format_exception(exc))))
        first_line = (str(exc).strip().splitlines() or [""])[0]
        sys.stderr.write(redact(f"citybot: {type(exc).__name__}: {first_line}") + "\n")
        sys.exit(1)


def _redactor() -> Redactor:
    try:
        return Redactor.for_settings(Settings())
    except Exception:  # settings that do not load are still secrets
        names = ("CITYBOT_TELEGRAM_TOKEN", "CITYBOT_WEBHOOK_SECRET", "CITYBOT_DATABASE_URL")
        values = [os.environ.get(name) for name in names]
        return Redactor([*values[:2], *database_passwords(values[2] or "")])


if __name__ == "__main__":
    main()
