"""Places at the location step over the Telegram sandbox: typed coordinates, and a place far outside the city."""

from __future__ import annotations

import pytest

from models.status import CaseStatus
from sandbox.client import SandboxClient
from sandbox.views import SandboxUser
from tests.e2e.conftest import RunningBot
from tests.e2e.test_report_bad_input import drafts, photo_and_category
from tests.e2e.test_report_flow import cases, seed_city


@pytest.fixture
async def anna(bot: RunningBot, client: SandboxClient) -> SandboxUser:
    """An English-speaking citizen in a city with one grid (around 39.91 N, 116.40 E)."""
    await seed_city(bot)
    return await client.create_user(first_name="Anna", language_code="en")


@pytest.mark.parametrize("typed", ["39.9100, 116.4000", "39.91,116.40", "39.9100 116.4000", "N39.9100 E116.4000"])
async def test_typed_coordinates_are_the_place(
    bot: RunningBot, client: SandboxClient, anna: SandboxUser, typed: str
) -> None:
    await photo_and_category(client, anna)
    await client.send_text(anna, typed)
    saved = await client.wait_for_message(anna.chat_id, "Location saved")
    assert saved.text == "📍 Location saved: 39.91000, 116.40000"
    [draft] = await drafts(bot)
    assert (draft.lat, draft.lon, draft.location_source) == (39.91, 116.4, "coordinates")


async def test_absurd_coordinates_get_a_clear_answer(bot: RunningBot, client: SandboxClient, anna: SandboxUser) -> None:
    await photo_and_category(client, anna)
    await client.send_text(anna, "39.91, 216.40")
    refused = await client.wait_for_message(anna.chat_id)
    assert refused.text.startswith("«39.91, 216.40» is written like coordinates, but no place has them")
    [draft] = await drafts(bot)
    assert draft.lat is None and len(draft.photos) == 1


async def test_paris_for_a_beijing_grid_is_confirmed_first(
    bot: RunningBot, client: SandboxClient, anna: SandboxUser
) -> None:
    await photo_and_category(client, anna)
    await client.send_text(anna, "48.8584, 2.2945")
    question = await client.wait_for_message(anna.chat_id, "outside the city's area")
    assert question.button_texts == ["Use it anyway", "Send another location"]
    await client.press(anna, question, "Send another location")
    edited = await client.wait_for_edit(anna.chat_id)
    assert edited.text == "That place was not used." and edited.buttons == []
    await client.wait_for_message(anna.chat_id, "Where is it?")
    await client.send_location(anna, 48.8584, 2.2945)  # the same place again, shared this time
    question = await client.wait_for_message(anna.chat_id, "outside the city's area")
    await client.press(anna, question, "Use it anyway")
    await client.wait_for_message(anna.chat_id, "Add a short note")
    note_question = (await client.bot_messages(anna.chat_id))[-1]
    await client.press(anna, note_question, "Skip")
    summary = await client.wait_for_message(anna.chat_id, "Please check")
    assert "Place: 48.85840, 2.29450" in summary.text
    await client.press(anna, summary, "Submit")
    done = await client.wait_for_edit(anna.chat_id, "Report #1")
    assert "No grid unit covers this place, so a dispatcher will assign it." in done.text
    [case] = await cases(bot)
    assert case.status == CaseStatus.UNROUTED and (case.lat, case.lon) == (48.8584, 2.2945)
