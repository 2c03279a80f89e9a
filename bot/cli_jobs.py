"""``citybot jobs run ...``: run one pass of a scheduled job now (cron deployments, catch-up)."""

from __future__ import annotations

from datetime import datetime, tzinfo

import typer

jobs_app = typer.Typer(help="Run scheduled jobs once.", no_args_is_help=True)
run_app = typer.Typer(help="Run one pass of a job.", no_args_is_help=True)
jobs_app.add_typer(run_app, name="run")


@run_app.command("sla")
def run_sla(
    now: str | None = typer.Option(
        None, "--now", help="Sweep as if it were this time (ISO 8601; without an offset, the city's local time)"
    ),
) -> None:
    """Send the reminders, overdue notices and escalations due now (each once), and print what was queued."""
    import asyncio

    from bot.app import build_services
    from bot.cli import fail, load_settings
    from services.clock import ManualClock, SystemClock
    from services.sla import sweep

    settings = load_settings()
    services = build_services(settings)
    at = SystemClock().now()
    if now is not None:
        try:
            at = parse_moment(now, services.tz)
        except ValueError as exc:
            fail(f"--now: {exc}")
    services.clock = ManualClock(at)  # everything the sweep does (closing cases too) happens at that time

    async def one_sweep() -> None:
        try:
            result = await sweep(services, now=at)
        finally:
            await services.db.dispose()
        local = at.astimezone(services.tz).isoformat(timespec="minutes")
        typer.echo(f"SLA sweep at {local}: {result.claimed} case(s) checked, {len(result.notices)} notice(s) queued")
        for notice in result.notices:
            label = notice.kind if notice.kind in ("reminder", "overdue") else f"{notice.kind} {notice.number}"
            where = f"{notice.channel} {notice.address}"
            typer.echo(f"  case #{notice.case_id}: {label} -> user {notice.user_id} ({where})")
        for case_id in result.closed:
            typer.echo(f"  case #{case_id}: closed, the reporter did not confirm in time")
        for case_id in result.failed:
            typer.echo(f"  case #{case_id}: FAILED, see the log; it is retried after its claim expires")

    asyncio.run(one_sweep())


@run_app.command("outbox")
def run_outbox(
    limit: int | None = typer.Option(None, "--limit", min=1, help="Deliver at most this many messages"),
) -> None:
    """Deliver the notifications that are due now (retries whose backoff has passed included), then exit."""
    import asyncio

    from telegram import Bot

    from bot.app import build_services
    from bot.cli import fail, load_settings
    from channels.open311.callback import Open311CallbackSender
    from channels.telegram.sender import TelegramSender
    from services.channels import ChannelRegistry
    from services.delivery import deliver_due

    settings = load_settings()
    token = settings.telegram_token
    if not token:
        fail("CITYBOT_TELEGRAM_TOKEN is not set")
        return
    services = build_services(settings)

    async def one_pass() -> int:
        callbacks = Open311CallbackSender(services)
        try:
            bot = Bot(token, base_url=settings.telegram_base_url, base_file_url=settings.telegram_base_file_url)
            async with bot:
                senders = ChannelRegistry([TelegramSender(bot, services), callbacks])
                return await deliver_due(services, senders, limit=limit)
        finally:
            await callbacks.close()
            await services.db.dispose()

    sent = asyncio.run(one_pass())
    typer.echo(f"outbox: {sent} message(s) delivered")


def parse_moment(text: str, tz: tzinfo) -> datetime:
    """An ISO 8601 time; one without an offset is read as wall-clock time in ``tz``."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{text!r} is not an ISO 8601 time, e.g. 2026-11-16T10:00+08:00") from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=tz)
