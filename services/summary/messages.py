"""What one recipient of the weekly summary is sent: the chart of their area and the report in their language."""

from __future__ import annotations

import asyncio
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from services.config import AppConfig
from services.context import Services
from services.i18n import Translator
from services.messages import Message, PhotoRef, Text
from services.outbox import Contact
from services.summary.chart import render_chart
from services.summary.figures import WeekSummary
from services.summary.render import render_text

KIND = "summary"  # the outbox kind of every summary message


@dataclass(frozen=True)
class Recipient:
    """Where to send the summary, in which language and for which area (None: the whole city)."""

    contact: Contact
    locale: str
    unit_id: str | None = None
    user_id: int | None = None
    subscriber: bool = True


def text_key(week: str, contact: Contact) -> str:
    """The dedupe key of a recipient's summary (one outbox row: the chart with the report)."""
    return f"{KIND}:{week}:{contact.channel}:{contact.address}"


def message_for(summary: WeekSummary, config: AppConfig, who: Recipient, chart: Path) -> Message:
    """The chart of the recipient's area with the report in their language (the channel fits it to its limits)."""
    t = Translator(who.locale)
    footer = t("Send /unsubscribe to stop these reports.") if who.subscriber else ""
    text = render_text(summary, config, who.locale, who.unit_id, footer=footer)
    return Message(lines=(Text.raw(text),), photos=(PhotoRef(path=str(chart)),))


def chart_path(services: Services, week: str, unit_id: str | None, locale: str) -> Path:
    """Where the chart of an area and language is kept (file-system-safe and unique per unit id)."""
    scope = unit_id or "city"
    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", scope)[:40]
    digest = hashlib.sha1(scope.encode()).hexdigest()[:8]
    # Absolute: the outbox row is uploaded by a sender that may run in another working directory.
    return (services.data_dir / "summaries" / week / f"{safe}-{digest}-{locale}.png").absolute()


class Charts:
    """Charts drawn once per area and language, reused across recipients and reruns."""

    def __init__(self, services: Services, summary: WeekSummary) -> None:
        self.services, self.summary = services, summary

    async def get(self, unit_id: str | None, locale: str) -> Path:
        """The chart's file, drawn now (off the event loop) unless an earlier run left it."""
        path = chart_path(self.services, self.summary.week, unit_id, locale)
        if not path.exists():
            await asyncio.to_thread(render_chart, self.summary, self.services.config, locale, path, unit_id)
        return path
