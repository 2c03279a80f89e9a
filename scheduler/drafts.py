"""Once a minute: expire report drafts left idle for ``reporting.draft_ttl_minutes`` (their owners are told through
the outbox), and fetch the evidence copies of report photos that a crash left without one."""

from __future__ import annotations

import logging

from telegram import Bot
from telegram.error import TelegramError
from telegram.ext import Application, ContextTypes

from models.uow import UnitOfWork
from services.context import Services
from services.intake_expiry import Expired, expire_drafts
from services.photos import backfill_copies, remove_copies

log = logging.getLogger(__name__)
JOB_NAME = "draft-expiry"
#: A draft lives at least its TTL and at most this much longer before the notice is queued.
INTERVAL_SECONDS = 60.0


def schedule(app: Application, services: Services) -> None:  # type: ignore[type-arg]
    """Sweep idle drafts once a minute; an overrun skips the next tick instead of stacking sweeps."""
    assert app.job_queue is not None, "install python-telegram-bot[job-queue]"
    app.job_queue.run_repeating(
        run_sweep,
        interval=INTERVAL_SECONDS,
        first=INTERVAL_SECONDS,
        data=services,
        name=JOB_NAME,
        job_kwargs={"max_instances": 1, "coalesce": True},
    )


async def expire_once(services: Services) -> Expired:
    """One sweep at the injected clock's time; photo copies are removed only after the commit."""
    async with UnitOfWork(services.db) as uow:
        result = await expire_drafts(services, uow.session)
        await uow.commit()
    await remove_copies(services, result.paths)
    return result


async def run_sweep(context: ContextTypes.DEFAULT_TYPE) -> None:
    """The JobQueue callback."""
    assert context.job is not None
    services: Services = context.job.data  # type: ignore[assignment]
    result = await expire_once(services)
    if result.count:
        log.info("expired %d idle report draft(s)", result.count)
    bot = context.bot

    async def fetch(file_id: str) -> bytes | None:
        return await fetch_file(bot, file_id)

    stored = await backfill_copies(services, fetch)
    if stored:
        log.info("kept %d missing photo copies", stored)


async def fetch_file(bot: Bot, file_id: str) -> bytes | None:
    """A file's bytes from Telegram, or None when it cannot be had right now."""
    try:
        return bytes(await (await bot.get_file(file_id)).download_as_bytearray())
    except TelegramError:
        log.warning("could not fetch file %s", file_id, exc_info=True)
        return None
