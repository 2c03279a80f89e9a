"""What one recipient of the weekly summary is sent: the chart of their area and the report in their language."""

from __future__ import annotations

import asyncio
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from services.config import AppConfig
from services.context import Services
from services.i18n import Translator
from services.summary.chart import render_chart
from services.summary.figures import WeekSummary
from services.summary.render import render_text, title

KIND = "summary"  # the outbox kind of every summary message
MAX_CAPTION = 1024  # Telegram's limit for a photo's caption


@dataclass(frozen=True)
class Recipient:
    """A chat to send the summary to, in its language and for its area (None: the whole city)."""

    chat_id: int
    locale: str
    unit_id: str | None = None
    user_id: int | None = None
    subscriber: bool = True


def text_key(week: str, chat_id: int) -> str:
    """The dedupe key of a recipient's report (the only row when the chart carries it as its caption)."""
    return f"{KIND}:{week}:{chat_id}"


def chart_key(week: str, chat_id: int) -> str:
    """The dedupe key of a recipient's chart."""
    return f"{KIND}:{week}:{chat_id}:chart"


@dataclass(frozen=True)
class Outgoing:
    """One Bot API call of a recipient's summary; ``chart`` tells which dedupe key it takes."""

    method: str
    params: dict[str, Any]
    chart: bool = False

    def key(self, week: str, chat_id: int) -> str:
        """The row's dedupe key for ``chat_id``."""
        return chart_key(week, chat_id) if self.chart else text_key(week, chat_id)


def utf16_length(text: str) -> int:
    """Length as Telegram counts it (UTF-16 code units)."""
    return len(text.encode("utf-16-le")) // 2


def messages_for(summary: WeekSummary, config: AppConfig, who: Recipient, chart: Path) -> list[Outgoing]:
    """The chart with the report as its caption when it fits in one caption, else the chart then the report."""
    t = Translator(who.locale)
    footer = t("Send /unsubscribe to stop these reports.") if who.subscriber else ""
    text = render_text(summary, config, who.locale, who.unit_id, footer=footer)
    photo = {"path": str(chart)}
    if utf16_length(text) <= MAX_CAPTION:
        return [Outgoing("sendPhoto", {"photo": photo, "caption": text})]
    caption = title(t, summary, summary.scope(who.unit_id))
    return [
        Outgoing("sendPhoto", {"photo": photo, "caption": caption}, chart=True),
        Outgoing("sendMessage", {"text": text}),
    ]


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
