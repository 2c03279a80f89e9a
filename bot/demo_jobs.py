"""The demo's clock control: move the injected clock, then run at once what the scheduler would run at that time.

The JobQueue fires on wall-clock time, so after a jump of a day nothing would happen until its next tick. The
clock control therefore runs the SLA sweep, the weekly summary's catch-up check and an outbox flush right away,
the same functions the jobs call, so reminders, escalations and the summary appear as soon as time moves.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any

from services.clock import OffsetClock
from services.context import Services

log = logging.getLogger(__name__)

STEPS = ("hour", "day", "monday")
_FLUSHES: set[asyncio.Task[int]] = set()  # strong references until each background flush ends
#: Lands just after the summary's cron minute, so the week's run is already due.
_MONDAY_TIME = time(9, 0, 5)


def step_delta(step: str, now: datetime, services: Services) -> timedelta:
    """How far a clock button moves: an hour, a day, or to the next Monday 09:00 local time."""
    if step == "hour":
        return timedelta(hours=1)
    if step == "day":
        return timedelta(days=1)
    if step != "monday":
        raise ValueError(f"unknown clock step {step!r}; known: {STEPS}")
    local = now.astimezone(services.tz)
    days = (7 - local.weekday()) % 7
    target = datetime.combine(local.date() + timedelta(days=days), _MONDAY_TIME, tzinfo=services.tz)
    if target <= local:
        target += timedelta(days=7)
    return target - local


@dataclass
class JobReport:
    """What the catch-up run did after a clock move."""

    now: datetime
    sla_notices: int = 0
    sla_closed: int = 0
    summary_week: str | None = None
    delivering: bool = False
    errors: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """The report as the clock endpoint answers it."""
        return {
            "now": self.now.isoformat(),
            "sla_notices": self.sla_notices,
            "sla_closed": self.sla_closed,
            "summary_week": self.summary_week,
            "delivering": self.delivering,
            "errors": self.errors,
        }


async def _guarded(report: JobReport, name: str, job: Callable[[], Awaitable[None]]) -> None:
    try:
        await job()
    except Exception as exc:  # one failing job must not hide what the others did
        log.exception("demo: %s failed after the clock moved", name)
        report.errors.append(f"{name}: {exc}")


async def run_due_jobs(services: Services, flush: Callable[[], Coroutine[Any, Any, int]] | None = None) -> JobReport:
    """Sweep deadlines and check for a due weekly summary at the clock's time, then start an outbox delivery."""
    from services.sla import sweep
    from services.summary.broadcast import catch_up

    report = JobReport(services.clock.now())

    async def sla() -> None:
        result = await sweep(services, now=report.now)
        report.sla_notices, report.sla_closed = len(result.notices), len(result.closed)

    async def summary() -> None:
        result = await catch_up(services)
        report.summary_week = str(result.week) if result is not None else None

    async def outbox() -> None:
        if flush is not None:
            # Pacing keeps one message a second per chat: deliver in the background, the page sees them arrive.
            task = asyncio.create_task(flush(), name="demo-outbox-flush")
            _FLUSHES.add(task)
            task.add_done_callback(_FLUSHES.discard)
            report.delivering = True

    await _guarded(report, "SLA sweep", sla)
    await _guarded(report, "weekly summary", summary)
    await _guarded(report, "outbox", outbox)
    return report


async def cancel_background() -> None:
    """Stop delivery passes still running (the demo is shutting down; the outbox keeps what was not sent)."""
    for task in list(_FLUSHES):
        task.cancel()
    await asyncio.gather(*_FLUSHES, return_exceptions=True)


async def advance(clock: OffsetClock, services: Services, step: str) -> datetime:
    """Move the demo clock by one of the STEPS and return the new time."""
    return clock.advance(step_delta(step, clock.now(), services))
