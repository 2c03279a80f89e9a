"""The weekly summary job: queue the week that just ended at the configured cron time, and catch up on start."""

from __future__ import annotations

import logging
from datetime import timedelta

from telegram.ext import Application, ContextTypes

from services.context import Services
from services.summary.broadcast import QueueResult, catch_up, queue_due_week
from services.summary.weeks import cron_trigger

log = logging.getLogger(__name__)

#: A send delayed by a busy or paused process still happens within this window (later ones: startup catch-up).
MISFIRE_GRACE = timedelta(hours=6)


def _log(result: QueueResult | None, why: str) -> None:
    if result is None:
        log.info("weekly summary (%s): nothing to send", why)
        return
    log.info(
        "weekly summary %s (%s): %d recipients, %d queued now, %d queued before, %d blocked chats unsubscribed",
        result.week, why, result.recipients, result.queued, result.already, result.ended,
    )  # fmt: skip


async def weekly_summary(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Queue the summary of the week that ended most recently (nothing if it was queued already)."""
    services: Services = context.job.data  # type: ignore[union-attr,assignment]
    _log(await queue_due_week(services), "scheduled")


async def summary_catch_up(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Once after start: send the summary the bot missed while it was down."""
    services: Services = context.job.data  # type: ignore[union-attr,assignment]
    _log(await catch_up(services), "catch-up")


def schedule(app: Application, services: Services) -> None:  # type: ignore[type-arg]
    """Run the summary at ``summary.cron`` (local time) and look for a missed one right after start."""
    assert app.job_queue is not None
    trigger = cron_trigger(services.config.summary.cron, services.tz)
    job_kwargs = {"trigger": trigger, "misfire_grace_time": int(MISFIRE_GRACE.total_seconds()), "coalesce": True}
    app.job_queue.run_custom(weekly_summary, job_kwargs=job_kwargs, data=services, name="weekly-summary")
    # A job, not a startup hook: queueing thousands of recipients must not hold up the bot's start.
    app.job_queue.run_once(summary_catch_up, when=timedelta(seconds=1), data=services, name="weekly-summary-catch-up")
