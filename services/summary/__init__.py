"""The weekly summary (周通报): KPIs in SQL, text and chart rendering, and the broadcast to subscribers."""

from __future__ import annotations

from services.summary.broadcast import QueueResult, catch_up, queue_due_week, queue_week, recipients
from services.summary.compute import compute_summary, summary_for
from services.summary.figures import Counts, UnitFigures, WeekSummary
from services.summary.messages import Recipient
from services.summary.weeks import IsoWeek

__all__ = [
    "Counts",
    "IsoWeek",
    "QueueResult",
    "Recipient",
    "UnitFigures",
    "WeekSummary",
    "catch_up",
    "compute_summary",
    "queue_due_week",
    "queue_week",
    "recipients",
    "summary_for",
]
