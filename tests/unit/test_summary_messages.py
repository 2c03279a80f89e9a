"""What one recipient of the weekly summary is sent: the chart of their area with the report in their language."""

from __future__ import annotations

from pathlib import Path

from channels.telegram.limits import MAX_CAPTION, utf16_length
from services.config import load_config
from services.messages import Message, PhotoRef
from services.outbox import Contact
from services.summary.figures import Counts, UnitFigures, WeekSummary
from services.summary.messages import Recipient, message_for, text_key

CHART = Path("/var/citybot/summaries/2026-W47/city-zh_CN.png")


def summary(streets: int) -> WeekSummary:
    units = {
        f"S{i}": UnitFigures(
            id=f"S{i}", name=f"第{i}街道办事处", level="street",
            counts=Counts(received=6, due=6, due_closed_on_time=i % 4, overdue_at_end=1 + i % 3),
        )
        for i in range(streets)
    }  # fmt: skip
    city = UnitFigures(id="", name="", level="city", counts=Counts(received=5 * streets))
    return WeekSummary("2026-W47", "2026-11-23T01:00:00+00:00", city, units)


def _report(message: Message) -> str:
    (line,) = message.lines
    return str(line.values["raw"])


def test_the_chart_goes_with_the_report_in_the_readers_language() -> None:
    who = Recipient(Contact("telegram", "501"), "zh_CN")
    message = message_for(summary(2), load_config(), who, CHART)
    assert message.photos == (PhotoRef(path=str(CHART)),)
    assert _report(message).startswith("城市管理周通报 2026-W47")
    assert _report(message).endswith("发送 /unsubscribe 可退订周通报。")
    assert text_key("2026-W47", who.contact) == "summary:2026-W47:telegram:501"


def test_a_long_report_is_whole_the_channel_fits_it_to_its_limits() -> None:
    config = load_config()
    config.summary.top_count = config.summary.bottom_count = 10
    message = message_for(summary(30), config, Recipient(Contact("telegram", "501"), "en"), CHART)
    report = _report(message)
    assert report.startswith("Weekly report 2026-W47 (2026-11-16 – 2026-11-22): Whole city")
    assert utf16_length(report) > MAX_CAPTION  # the Telegram sender sends the chart, then this text


def test_channels_get_no_unsubscribe_hint() -> None:
    who = Recipient(Contact("telegram", "-100"), "zh_CN", subscriber=False)
    assert "/unsubscribe" not in _report(message_for(summary(2), load_config(), who, CHART))


def test_caption_length_is_counted_as_telegram_does() -> None:
    assert utf16_length("周通报") == 3
    assert utf16_length("📊") == 2  # outside the BMP: two UTF-16 code units
