"""The SLA sweep on PTB's JobQueue: every ``sla.sweep_interval_seconds``, at the injected clock's time."""

from __future__ import annotations

import logging

from telegram.ext import Application, ContextTypes

from services.context import Services
from services.sla import default_worker, sweep

log = logging.getLogger(__name__)
JOB_NAME = "sla-sweep"


def schedule(app: Application, services: Services) -> None:  # type: ignore[type-arg]
    """Run the sweep repeatedly; an overrun skips the next tick instead of stacking sweeps."""
    assert app.job_queue is not None, "install python-telegram-bot[job-queue]"
    app.job_queue.run_repeating(
        run_sweep,
        interval=services.config.sla.sweep_interval_seconds,
        first=1.0,
        data=services,
        name=JOB_NAME,
        job_kwargs={"max_instances": 1, "coalesce": True},
    )


async def run_sweep(context: ContextTypes.DEFAULT_TYPE) -> None:
    """One sweep at ``services.clock.now()``: the scheduler only decides when to look, never what time it is."""
    assert context.job is not None
    services: Services = context.job.data  # type: ignore[assignment]
    result = await sweep(services, now=services.clock.now(), worker=default_worker())
    if result.notices or result.closed or result.failed:
        log.info(
            "SLA sweep: %d cases, %d notices queued, %d closed unconfirmed, %d failed",
            result.claimed,
            len(result.notices),
            len(result.closed),
            len(result.failed),
        )
