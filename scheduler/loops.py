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
from dataclasses import dataclass, field

from scheduler.drafts import INTERVAL_SECONDS as DRAFTS_INTERVAL
from scheduler.drafts import expire_once
from services.context import Services
from services.delivery import deliver_due
from services.sla import default_worker, sweep
from services.summary.broadcast import catch_up

log = logging.getLogger(__name__)

#: How often the weekly summary is looked for: it goes out at most this long after its configured time.
SUMMARY_CHECK_SECONDS = 300.0


#: How long a stop waits for a pass under way (a delivery between its send and its record) before cancelling it.
STOP_GRACE_SECONDS = 15.0


@dataclass
class Jobs:
    """The running job loops of a process; ``stop_jobs`` ends them."""

    tasks: list[asyncio.Task[None]] = field(default_factory=list)
    stopping: asyncio.Event = field(default_factory=asyncio.Event)


async def _stopped_within(stopping: asyncio.Event, seconds: float) -> bool:
    """Wait ``seconds``; True as soon as the process is stopping."""
    try:
        await asyncio.wait_for(stopping.wait(), seconds)
    except TimeoutError:
        return False
    return True


async def _every(
    name: str, seconds: float, work: Callable[[], Awaitable[object]], *, first: float, stopping: asyncio.Event
) -> None:
    if await _stopped_within(stopping, first):
        return
    while True:
        try:
            await work()
        except Exception:
            log.exception("%s failed; the next run retries", name)
        if await _stopped_within(stopping, seconds):
            return


def start_jobs(services: Services) -> Jobs:
    """Start every job loop; ``stop_jobs`` stops them."""
    outbox = services.config.outbox.interval_seconds
    worker = default_worker()
    jobs = Jobs()

    async def sla() -> None:
        await sweep(services, now=services.clock.now(), worker=worker)

    async def deliver() -> None:
        await deliver_due(services)

    stopping = jobs.stopping
    loops = {
        "outbox": _every("outbox delivery", outbox, deliver, first=outbox, stopping=stopping),
        "sla-sweep": _every("SLA sweep", services.config.sla.sweep_interval_seconds, sla, first=1.0, stopping=stopping),
        "draft-expiry": _every(
            "draft expiry", DRAFTS_INTERVAL, lambda: expire_once(services), first=DRAFTS_INTERVAL, stopping=stopping
        ),
        "weekly-summary": _every(
            "weekly summary", SUMMARY_CHECK_SECONDS, lambda: catch_up(services), first=1.0, stopping=stopping
        ),
    }
    jobs.tasks = [asyncio.create_task(work, name=name) for name, work in loops.items()]
    return jobs


async def stop_jobs(jobs: Jobs | None) -> None:
    """Let each loop finish the pass under way (a notice sent is recorded as sent, so no later process sends it
    again), then end; a pass still running after ``STOP_GRACE_SECONDS`` is cancelled."""
    if jobs is None:
        return
    jobs.stopping.set()
    done, running = await asyncio.wait(jobs.tasks, timeout=STOP_GRACE_SECONDS) if jobs.tasks else (set(), set())
    for task in running:
        task.cancel()
    for task in (*done, *running):
        with contextlib.suppress(asyncio.CancelledError):
            await task
