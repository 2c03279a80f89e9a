"""In English, the map legend, /my and /case use the same status words, and a case's history reads right."""

from __future__ import annotations

from typing import Any

import pytest

from models.status import CaseStatus
from services.i18n import Translator
from services.notify import status_label
from tests.browser.web import bot_said_more, send_text, switch

pytestmark = pytest.mark.browser
ENGLISH = {status_label(status, Translator("en")) for status in CaseStatus}


@pytest.fixture
def page_query() -> str:
    """The page in English, on Emma (an English-speaking volunteer with seeded reports)."""
    return "lang=en&persona=volunteer"


async def test_legend_my_and_case_share_one_vocabulary(page: Any) -> None:
    legend = [text.strip() for text in await page.locator("#legend span").all_inner_texts()][1:]
    assert {"dispatched", "returned", "suspended", "being handled"} <= set(legend) <= ENGLISH

    await switch(page, "volunteer")
    await bot_said_more(page, lambda: send_text(page, "/my"))
    listing = await page.locator(".msg.in").last.inner_text()
    details = [line.strip() for line in listing.splitlines() if line.startswith("   ")]
    shown = {line.split(" · ")[0] for line in details if not line.startswith("Already reported as")}
    assert shown and shown <= ENGLISH, f"/my uses words the legend does not: {shown - ENGLISH}"
    assert shown & set(legend), "an open case of /my shows a legend word"

    # The officer's view of a case: the same word after "Status:", and the map (not the reporter) placed it.
    await switch(page, "officer2")
    await bot_said_more(page, lambda: send_text(page, "/tasks"))
    tasks = await page.locator(".msg.in").last.inner_text()
    number = next(word for word in tasks.split() if word.startswith("#") and word[1:].isdigit())
    await bot_said_more(page, lambda: send_text(page, f"/case {number[1:]}"))
    case = await page.locator(".msg.in").last.inner_text()
    status = case.split("Status: ", 1)[1].splitlines()[0]
    assert status in ENGLISH and status in tasks
    assert "dispatched · the reporter" not in case and "reported · the reporter" in case
