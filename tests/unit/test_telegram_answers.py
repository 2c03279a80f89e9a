"""Answers to a press fit Telegram's 200 UTF-16 units: a longer alert or toast is cut, never refused."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from channels.telegram.limits import MAX_ANSWER, utf16_length
from channels.telegram.render import Renderer, answer_choice
from services.clock import ManualClock
from services.config import load_config
from services.context import Services
from services.conversation import Reply
from services.messages import Text


class Query:
    """Records what a press was answered with."""

    def __init__(self) -> None:
        self.answers: list[tuple[str | None, bool]] = []

    async def answer(self, said: str | None = None, show_alert: bool = False) -> None:
        self.answers.append((said, show_alert))


def renderer(tmp_path: Path) -> Renderer:
    clock = ManualClock(datetime(2026, 11, 16, 2, tzinfo=UTC))
    services = Services.build(None, load_config(), clock, "Asia/Shanghai", tmp_path)  # type: ignore[arg-type]
    return Renderer(services, "en")


async def test_a_long_alert_is_cut_to_200_units(tmp_path: Path) -> None:
    query: Any = Query()
    await answer_choice(None, query, None, Reply(alert=Text.raw("🚧" * 150)), renderer(tmp_path))  # type: ignore[arg-type]
    [(said, alert)] = query.answers
    assert alert and said is not None and said.endswith("…")
    assert utf16_length(said) <= MAX_ANSWER and said.startswith("🚧" * 99)


async def test_a_long_toast_is_cut_and_a_short_one_kept(tmp_path: Path) -> None:
    for toast, expected in (("x" * 250, "x" * 199 + "…"), ("Thank you!", "Thank you!")):
        query: Any = Query()
        await answer_choice(None, query, None, Reply(toast=Text.raw(toast)), renderer(tmp_path))  # type: ignore[arg-type]
        assert query.answers == [(expected, False)]
