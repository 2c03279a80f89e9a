"""Outbox delivery inside ``citybot run``: a repeating job that drains the outbox through the registered channels."""

from __future__ import annotations

import logging

from telegram.ext import Application, ContextTypes

from services.context import Services
from services.delivery import deliver_due

log = logging.getLogger(__name__)


def schedule(app: Application, services: Services) -> None:  # type: ignore[type-arg]
    """Deliver the outbox every ``outbox.interval_seconds``."""
    assert app.job_queue is not None, "install python-telegram-bot[job-queue]"
    interval = services.config.outbox.interval_seconds
    app.job_queue.run_repeating(_tick, interval=interval, first=interval, name="outbox", data=services)


async def _tick(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Start a delivery pass in the background unless one is still running (a pass can outlast the interval)."""
    services = context.job.data if context.job is not None else None
    assert isinstance(services, Services)
    if services.delivering:
        return
    services.delivering = True
    context.application.create_task(_pass(services), name="outbox-pass")


async def _pass(services: Services) -> None:
    try:
        await deliver_due(services)
    except Exception:
        log.exception("outbox delivery pass failed; the next pass retries")
    finally:
        services.delivering = False
