"""The demo's clock control: move the injected clock, then run at once what the scheduler would run at that time.

The JobQueue fires on wall-clock time, so after a jump of a day nothing would happen until its next tick. The
clock control therefore runs the SLA sweep, the weekly summary's catch-up check and an outbox flush right away,
the same functions the jobs call, so reminders, escalations and the summary appear as soon as time moves.

One delivery pass at a time per process, shared with the outbox job: the outbox leases its claims in clock time,
and a click moves the clock by an hour or more, so a second pass started while the first is still sending would
find the first one's rows free again and send them twice. A click during a pass asks for one more pass after it;
while the outbox job's own pass runs, its next tick delivers instead.
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
_FLUSHES: set[asyncio.Task[None]] = set()  # strong references until each background delivery ends
#: Set when a click asked for a delivery pass that has not started yet.
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
            request_delivery(services, flush)
            report.delivering = True

    await _guarded(report, "SLA sweep", sla)
    await _guarded(report, "weekly summary", summary)
    await _guarded(report, "outbox", outbox)
    return report


def request_delivery(services: Services, flush: Callable[[], Coroutine[Any, Any, int]]) -> None:
    """Have a delivery pass run soon: now if none is running in this process, else right after the running one."""
    services.delivery_wanted = True
    if any(task.get_name() == _task_name(services) and not task.done() for task in _FLUSHES):
        return  # that loop sees the request when its pass ends
    task = asyncio.create_task(_deliver_while_wanted(services, flush), name=_task_name(services))
    _FLUSHES.add(task)
    task.add_done_callback(_FLUSHES.discard)


def _task_name(services: Services) -> str:
    return f"demo-outbox-delivery-{id(services)}"


async def _deliver_while_wanted(services: Services, flush: Callable[[], Coroutine[Any, Any, int]]) -> None:
    """Run delivery passes one after another while clicks keep asking, never beside the outbox job's own pass."""
    while services.delivery_wanted:
        services.delivery_wanted = False
        if services.delivering:
            return  # the outbox job is delivering: its next tick, a second later, takes what this one leaves
        services.delivering = True  # no await since the check: the job's next tick sees it
        try:
            await flush()
        except Exception:  # the next click or the outbox job tries again; the rows stay in the outbox
            log.exception("demo: outbox delivery after the clock moved failed")
        finally:
            services.delivering = False


async def wait_background() -> None:
    """Wait until the delivery passes the clock control started have ended."""
    while _FLUSHES:
        await asyncio.gather(*list(_FLUSHES), return_exceptions=True)


async def cancel_background() -> None:
    """Stop delivery passes still running (the demo is shutting down; the outbox keeps what was not sent)."""
    for task in list(_FLUSHES):
        task.cancel()
    await asyncio.gather(*_FLUSHES, return_exceptions=True)


async def advance(clock: OffsetClock, services: Services, step: str) -> datetime:
    """Move the demo clock by one of the STEPS and return the new time."""
    return clock.advance(step_delta(step, clock.now(), services))
