"""The timed jobs without Telegram's JobQueue: plain asyncio loops, for a process that serves no Telegram bot.

``citybot run`` with only WeChat configured has no PTB application; these loops run the same work on the same
intervals: the outbox, the SLA sweep, idle drafts, and the weekly summary (looked for every few minutes: queued
once the configured time has passed, exactly as the start-up catch-up does).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from scheduler.drafts import INTERVAL_SECONDS as DRAFTS_INTERVAL
from scheduler.drafts import expire_once
from services.context import Services
from services.delivery import deliver_due
from services.sla import default_worker, sweep
from services.summary.broadcast import catch_up

log = logging.getLogger(__name__)

#: How often the weekly summary is looked for: it goes out at most this long after its configured time.
SUMMARY_CHECK_SECONDS = 300.0


async def _every(name: str, seconds: float, work: Callable[[], Awaitable[object]], *, first: float) -> None:
    await asyncio.sleep(first)
    while True:
        try:
            await work()
        except Exception:
            log.exception("%s failed; the next run retries", name)
        await asyncio.sleep(seconds)


def start_jobs(services: Services) -> list[asyncio.Task[None]]:
    """Start every job loop; cancel the returned tasks to stop them (``stop_jobs``)."""
    outbox = services.config.outbox.interval_seconds
    worker = default_worker()

    async def sla() -> None:
        await sweep(services, now=services.clock.now(), worker=worker)

    async def deliver() -> None:
        await deliver_due(services)

    loops = {
        "outbox": _every("outbox delivery", outbox, deliver, first=outbox),
        "sla-sweep": _every("SLA sweep", services.config.sla.sweep_interval_seconds, sla, first=1.0),
        "draft-expiry": _every("draft expiry", DRAFTS_INTERVAL, lambda: expire_once(services), first=DRAFTS_INTERVAL),
        "weekly-summary": _every("weekly summary", SUMMARY_CHECK_SECONDS, lambda: catch_up(services), first=1.0),
    }
    return [asyncio.create_task(work, name=name) for name, work in loops.items()]


async def stop_jobs(tasks: list[asyncio.Task[None]]) -> None:
    """Cancel the loops and wait until each has let go (a pass mid-write ends its unit of work first)."""
    for task in tasks:
        task.cancel()
    for task in tasks:
        with contextlib.suppress(asyncio.CancelledError):
            await task
