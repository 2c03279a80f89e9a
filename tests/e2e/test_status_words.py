"""One status vocabulary per language: the reporter's /my, the staff's /case and /tasks, and the map legend agree."""

from __future__ import annotations

import pytest

from models.status import OPEN_STATUSES, CaseStatus
from sandbox.client import SandboxClient
from services.i18n import Translator
from services.messages import STATUS_LABELS
from services.notify import status_label
from tests.e2e.conftest import RunningBot
from tests.e2e.test_officer_flow import reported, staffed_city


async def test_the_reporter_and_the_staff_read_the_same_status_words(bot: RunningBot, client: SandboxClient) -> None:
    city = await staffed_city(bot, client)
    case_id = await reported(bot, client, city)
    dispatched = status_label(CaseStatus.DISPATCHED, Translator("en"))
    assert dispatched == "dispatched"

    await client.send_command(city.reporter, "/my")
    listing = await client.wait_for_message(city.reporter.chat_id, "Your reports")
    assert listing.text.splitlines()[3].startswith(f"   {dispatched} · 东华门网格一")
    await client.press(city.reporter, listing, f"#{case_id} history")
    history = (await client.wait_for_message(city.reporter.chat_id, "History:")).text
    assert f"Status: {dispatched}\n" in history and history.endswith(f"— submitted\n2026-11-16 10:00 — {dispatched}")

    await client.send_command(city.boss, "/case", str(case_id))
    details = (await client.wait_for_message(city.boss.chat_id, "History:")).text
    assert f"Status: {dispatched}\n" in details
    steps = details.split("History:\n", 1)[1].splitlines()
    # Who did what reads right: the reporter reported; the grid map, not the reporter, placed the case.
    assert [line.split(" · ", 1)[1] for line in steps] == [
        "reported · the reporter",
        "dispatched · routed by the grid map",
    ]

    await client.send_command(city.officer_a, "/tasks")
    tasks = (await client.wait_for_message(city.officer_a.chat_id, f"#{case_id}")).text
    assert f"· {status_label(CaseStatus.DISPATCHED, Translator('zh_CN'))}" in tasks


@pytest.mark.parametrize("locale", ["en", "zh_CN"])
def test_every_status_has_one_word_per_language(locale: str) -> None:
    t = Translator(locale)
    words = [t(STATUS_LABELS[status]) for status in CaseStatus]
    assert len(set(words)) == len(words)  # no two statuses read alike
    if locale == "zh_CN":
        assert all(word != STATUS_LABELS[status] for word, status in zip(words, CaseStatus, strict=True))
    assert {status_label(s, t) for s in OPEN_STATUSES} <= set(words)
