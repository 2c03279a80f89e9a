"""What one recipient is sent: the chart with the report as caption, or chart then text when it is too long."""

from __future__ import annotations

from pathlib import Path

from services.config import load_config
from services.summary.figures import Counts, UnitFigures, WeekSummary
from services.summary.messages import MAX_CAPTION, Recipient, messages_for, utf16_length

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


def test_a_short_report_is_the_charts_caption() -> None:
    (message,) = messages_for(summary(2), load_config(), Recipient(501, "zh_CN"), CHART)
    assert message.method == "sendPhoto"
    assert message.params["photo"] == {"path": str(CHART)}
    assert message.params["caption"].startswith("城市管理周通报 2026-W47")
    assert message.params["caption"].endswith("发送 /unsubscribe 可退订周通报。")
    assert message.key("2026-W47", 501) == "summary:2026-W47:501"


def test_a_report_too_long_for_a_caption_follows_the_chart_as_text() -> None:
    config = load_config()
    config.summary.top_count = config.summary.bottom_count = 10
    chart, text = messages_for(summary(30), config, Recipient(501, "en"), CHART)
    assert chart.method == "sendPhoto" and text.method == "sendMessage"
    assert chart.params["caption"] == "Weekly report 2026-W47 (2026-11-16 – 2026-11-22): Whole city"
    assert utf16_length(text.params["text"]) > MAX_CAPTION
    assert text.params["text"].startswith(chart.params["caption"])
    assert (chart.key("2026-W47", 501), text.key("2026-W47", 501)) == (
        "summary:2026-W47:501:chart",
        "summary:2026-W47:501",
    )


def test_channels_get_no_unsubscribe_hint() -> None:
    (message,) = messages_for(summary(2), load_config(), Recipient(-100, "zh_CN", subscriber=False), CHART)
    assert "/unsubscribe" not in message.params["caption"]


def test_caption_length_is_counted_as_telegram_does() -> None:
    assert utf16_length("周通报") == 3
    assert utf16_length("📊") == 2  # outside the BMP: two UTF-16 code units
