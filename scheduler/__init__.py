"""Timed jobs: outbox delivery, the SLA sweep and the weekly summary, run by PTB's JobQueue."""

from __future__ import annotations

from telegram.ext import Application

from scheduler import drafts, outbox, sla, summary
from services.context import Services

#: Each job module's ``schedule(app, services)``; feature packages append theirs.
JOB_MODULES: list = [sla, summary, drafts, outbox]  # type: ignore[type-arg]


def register_jobs(app: Application, services: Services) -> None:  # type: ignore[type-arg]
    """Schedule every job on the application's JobQueue."""
    for module in JOB_MODULES:
        module.schedule(app, services)
