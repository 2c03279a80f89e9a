"""``citybot summary``: print or write a week's summary (周通报) as text, CSV or PNG, or queue it for sending."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path
from typing import Annotated

import typer

from services.context import Services
from services.summary.broadcast import queue_week
from services.summary.chart import render_chart
from services.summary.compute import week_summary
from services.summary.render import render_csv, render_text
from services.summary.weeks import IsoWeek

FORMATS = ("text", "csv", "png")
LANGUAGES = {"zh": "zh_CN", "zh_cn": "zh_CN", "en": "en"}


def summary_command(
    week: str = typer.Option("", "--week", help="ISO week such as 2026-W47 (default: the last complete week)"),
    fmt: str = typer.Option("text", "--format", help="text, csv (one row per unit) or png (the chart)"),
    out: Annotated[Path | None, typer.Option("--out", help="Write to this file (default: standard output)")] = None,
    send: bool = typer.Option(False, "--send", help="Queue the week's summary for channels and subscribers now"),
    lang: str = typer.Option("zh", "--lang", help="zh or en"),
    unit: str = typer.Option("", "--unit", help="A street or community id: that area's summary (default: city)"),
) -> None:
    """Print or write a week's summary, or (with --send) queue it for every recipient; sending twice is harmless."""
    from bot.cli import fail, load_settings

    if fmt not in FORMATS:
        fail(f"--format must be one of {', '.join(FORMATS)}")
    locale = LANGUAGES.get(lang.lower())
    if locale is None:
        fail("--lang must be zh or en")
    try:
        iso = IsoWeek.parse(week) if week else None
    except ValueError as exc:
        fail(str(exc))
    settings = load_settings()
    from bot.app import build_services
    from models.migrate import upgrade_sync

    upgrade_sync(settings.database_url)
    services = build_services(settings)
    try:
        message = asyncio.run(_run(services, iso, fmt, out, send, str(locale), unit or None))
    except ValueError as exc:
        fail(str(exc))
        return
    if out is not None and fmt != "png" and not send:
        out.write_text(message if message.endswith("\n") else message + "\n", encoding="utf-8")
        message = f"summary written to {out}"
    typer.echo(message, nl=not message.endswith("\n"))


async def _run(
    services: Services, week: IsoWeek | None, fmt: str, out: Path | None, send: bool, locale: str, unit: str | None
) -> str:
    try:
        now = services.clock.now()
        week = week or IsoWeek.last_completed(now, services.tz)
        if send:
            return await _send(services, week)
        summary = await week_summary(services, week)
        if unit is not None and unit not in summary.units:
            raise ValueError(f"no unit with id {unit!r}")
        if fmt == "png":
            path = out or Path(f"summary-{week}-{locale}.png")
            await asyncio.to_thread(render_chart, summary, services.config, locale, path, unit)
            return f"chart of {week} written to {path}"
        return render_csv(summary, locale) if fmt == "csv" else render_text(summary, services.config, locale, unit)
    finally:
        await services.db.dispose()


async def _send(services: Services, week: IsoWeek) -> str:
    if week.bounds(services.tz)[1] > services.clock.now():
        raise ValueError(f"week {week} has not ended yet: send it from {week.sunday + timedelta(days=1)} 00:00 on")
    result = await queue_week(services, week)
    return (
        f"summary of {week}: {result.recipients} recipients, {result.queued} queued now, "
        f"{result.already} queued before, {result.ended} blocked chats unsubscribed"
    )
