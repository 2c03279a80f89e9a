"""The ``citybot`` command line."""

from __future__ import annotations

import asyncio
import logging
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from bot.cli_api import api_command, attach_open311
from bot.cli_apikeys import apikeys_app
from bot.cli_grids import grids_app
from bot.cli_jobs import jobs_app
from bot.cli_officers import officers_app
from bot.cli_summary import summary_command
from bot.settings import Settings

app = typer.Typer(help="citybot: city-appearance reports routed to grid officers.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(jobs_app, name="jobs")
app.add_typer(grids_app, name="grids")
app.add_typer(officers_app, name="officers")
app.add_typer(apikeys_app, name="apikeys")
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


def setup_logging(settings: Settings) -> None:
    """Plain logging to stderr at the configured level."""
    logging.basicConfig(
        level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)


@db_app.command("upgrade")
def db_upgrade(revision: str = typer.Argument("head", help="Alembic revision to reach")) -> None:
    """Create or migrate the database at CITYBOT_DATABASE_URL."""
    from models.migrate import upgrade_sync

    settings = load_settings()
    upgrade_sync(settings.database_url, revision)
    typer.echo(f"database at {settings.database_url} is at revision {revision}")


def _deployed_application(*, jobs: bool) -> tuple[Settings, Any]:
    """Settings checked, logging on, the database migrated, and the bot built: what `run` and `worker` share."""
    from bot.app import build_application
    from models.migrate import upgrade_sync

    settings = load_settings()
    if not settings.telegram_token:
        fail("CITYBOT_TELEGRAM_TOKEN is not set; get a token from @BotFather and export it")
    setup_logging(settings)
    upgrade_sync(settings.database_url)
    return settings, build_application(settings, jobs=jobs)


@app.command()
def run(
    jobs: bool = typer.Option(True, help="Also run the outbox sender, SLA sweep and weekly summary here"),
) -> None:
    """Migrate the database and serve Telegram (polling, or a webhook when CITYBOT_WEBHOOK_URL is set)."""
    settings, application = _deployed_application(jobs=jobs)
    attach_open311(settings, application)
    if settings.webhook_url:
        application.run_webhook(
            listen=settings.webhook_listen, port=settings.webhook_port, webhook_url=settings.webhook_url
        )
    else:
        application.run_polling()


@app.command()
def worker() -> None:
    """Run only the scheduled jobs (outbox, SLA sweep, summary), no updates: add as many as PostgreSQL allows."""
    _settings, application = _deployed_application(jobs=True)

    async def serve_jobs() -> None:
        async with application:
            if application.post_init is not None:
                await application.post_init(application)
            await application.start()  # the JobQueue runs; nothing polls Telegram for updates
            try:
                await asyncio.Event().wait()
            finally:
                await application.stop()

    try:
        asyncio.run(serve_jobs())
    except KeyboardInterrupt:
        pass


@app.command()
def sandbox(
    port: int = typer.Option(8081, help="Port of the offline Bot API server"),
    host: str = typer.Option("127.0.0.1", help="Address to listen on"),
    rate_limits: bool = typer.Option(False, help="Enforce Telegram's rate limits (429 with retry_after)"),
) -> None:
    """Run the offline Telegram Bot API server."""
    from sandbox.server import serve

    typer.echo(f"sandbox Bot API at http://{host}:{port}/bot<token>/  (Ctrl-C to stop)")
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
    app()


if __name__ == "__main__":
    main()
