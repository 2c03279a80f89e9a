"""Every way a photo or a place can arrive: albums, image files with EXIF GPS, venues, typed addresses, live."""

from __future__ import annotations

import pytest

from models.status import CaseStatus
from sandbox.client import SandboxClient
from sandbox.views import SandboxUser
from tests.e2e.conftest import RunningBot
from tests.e2e.test_report_flow import INSIDE, TIANANMEN, case_photos, cases, jpeg, report, seed_city


@pytest.fixture
async def anna(bot: RunningBot, client: SandboxClient) -> SandboxUser:
    """An English-speaking citizen in a city with one grid; albums are answered 0.2 s after their first photo."""
    await seed_city(bot)
    assert bot.services is not None
    bot.services.config.reporting.album_wait_seconds = 0.2
    return await client.create_user(first_name="Anna", language_code="en")


async def finish(client: SandboxClient, user: SandboxUser) -> str:
    """Skip the note and submit; returns the outcome text."""
    question = await client.wait_for_message(user.chat_id, "Add a short note")
    await client.press(user, question, "Skip")
    summary = await client.wait_for_message(user.chat_id, "Please check")
    await client.press(user, summary, "Submit")
    return (await client.wait_for_edit(user.chat_id, "Report #")).text


async def test_an_album_is_one_draft_answered_once(bot: RunningBot, client: SandboxClient, anna: SandboxUser) -> None:
    await client.send_album(anna, [jpeg(), jpeg(), jpeg()])
    reply = await client.wait_for_message(anna.chat_id, "Got it")
    assert reply.text.startswith("📷 Got it: 3/5 photos.") and "What kind of problem is it?" in reply.text
    await client.press(anna, reply, "Other")
    await client.wait_for_message(anna.chat_id, "Where is it?")
    # Three photos, one answer: the bot said nothing else before asking where it is.
    assert [m.text.splitlines()[0] for m in await client.bot_messages(anna.chat_id)] == [
        "Category: Other",
        "Where is it? Tap «📍 Send my location» below, share a place, or type an address or coordinates.",
    ]
    await client.send_location(anna, *INSIDE)
    await finish(client, anna)
    assert len(await case_photos(bot, 1)) == 3


async def test_an_album_over_the_limit_keeps_five_and_says_so(
    bot: RunningBot, client: SandboxClient, anna: SandboxUser
) -> None:
    await client.send_album(anna, [jpeg() for _ in range(7)])
    reply = await client.wait_for_message(anna.chat_id, "Got it")
    assert reply.text.startswith("📷 Got it: 5/5 photos.\nA report holds at most 5 photos; any more were not added.")
    await client.send_photo(anna, jpeg())
    refused = await client.wait_for_message(anna.chat_id)
    assert refused.text == "A report holds at most 5 photos; this one was not added."


async def test_an_image_file_with_gps_offers_its_location(
    bot: RunningBot, client: SandboxClient, anna: SandboxUser
) -> None:
    await client.send_document(anna, jpeg(gps=INSIDE), "IMG_2041.jpg", "image/jpeg")
    picker = await client.wait_for_message(anna.chat_id, "What kind of problem is it?")
    await client.press(anna, picker, "Materials piled on the street")
    offer = await client.wait_for_message(anna.chat_id, "Your photo carries a location")
    assert offer.text == "Your photo carries a location: 39.91000, 116.40000. Use it?"
    await client.press(anna, offer, "Use the photo's location")
    assert (await client.wait_for_edit(anna.chat_id)).text == "Using the photo's location."
    await client.wait_for_message(anna.chat_id, "📍 Location saved: 39.91000, 116.40000")
    assert await client.reply_keyboard(anna) == []
    assert (await finish(client, anna)).startswith("✅ Report #1 received and sent to 东华门网格一.")
    [case] = await cases(bot)
    assert (case.lat, case.lon) == pytest.approx(INSIDE)


async def test_an_image_file_without_gps_just_asks_for_the_place(
    bot: RunningBot, client: SandboxClient, anna: SandboxUser
) -> None:
    await client.send_document(anna, jpeg(), "poster.png", "image/png")
    picker = await client.wait_for_message(anna.chat_id, "What kind of problem is it?")
    await client.press(anna, picker, "Other")
    ask = await client.wait_for_message(anna.chat_id, "Where is it?")
    assert ask.buttons == []  # no offer to use a photo location that does not exist


async def test_a_venue_gives_place_and_address(bot: RunningBot, client: SandboxClient, anna: SandboxUser) -> None:
    await client.send_photo(anna, jpeg())
    picker = await client.wait_for_message(anna.chat_id, "What kind of problem is it?")
    await client.press(anna, picker, "Other")
    await client.wait_for_message(anna.chat_id, "Where is it?")
    await client.send_venue(anna, 39.9145, 116.4040, title="Wangfujing Dept. Store", address="255 Wangfujing St")
    saved = await client.wait_for_message(anna.chat_id, "📍 Location saved")
    assert saved.text == "📍 Location saved: Wangfujing Dept. Store, 255 Wangfujing St (39.91450, 116.40400)"
    await finish(client, anna)
    [case] = await cases(bot)
    assert case.address == "Wangfujing Dept. Store, 255 Wangfujing St"


async def test_a_typed_address_is_found_by_the_offline_geocoder(
    bot: RunningBot, client: SandboxClient, anna: SandboxUser
) -> None:
    await client.send_photo(anna, jpeg())
    picker = await client.wait_for_message(anna.chat_id, "What kind of problem is it?")
    await client.press(anna, picker, "Other")
    await client.wait_for_message(anna.chat_id, "Where is it?")
    await client.send_text(anna, "Atlantis Boulevard 12")
    missing = await client.wait_for_message(anna.chat_id)
    assert missing.text == (
        "I could not find «Atlantis Boulevard 12». Try another name, or share the location with the button."
    )
    await client.send_text(anna, "tiananmen")
    saved = await client.wait_for_message(anna.chat_id, "📍 Location saved")
    assert saved.text == "📍 Location saved: 天安门 (39.90870, 116.39750)"
    await finish(client, anna)
    [case] = await cases(bot)
    assert (case.lat, case.lon, case.address) == (*TIANANMEN, "天安门")
    assert case.status == CaseStatus.DISPATCHED


async def test_a_grid_name_is_an_address_too(bot: RunningBot, client: SandboxClient, anna: SandboxUser) -> None:
    await client.send_photo(anna, jpeg())
    picker = await client.wait_for_message(anna.chat_id, "What kind of problem is it?")
    await client.press(anna, picker, "Other")
    await client.wait_for_message(anna.chat_id, "Where is it?")
    await client.send_text(anna, "东华门网格一")
    saved = await client.wait_for_message(anna.chat_id, "📍 Location saved")
    assert saved.text.startswith("📍 Location saved: 东华门网格一 (39.91")


async def test_a_live_location_counts_its_first_point_only(
    bot: RunningBot, client: SandboxClient, anna: SandboxUser
) -> None:
    await client.send_photo(anna, jpeg())
    picker = await client.wait_for_message(anna.chat_id, "What kind of problem is it?")
    await client.press(anna, picker, "Other")
    await client.wait_for_message(anna.chat_id, "Where is it?")
    live = await client.send_location(anna, *INSIDE, live_period=900)
    question = await client.wait_for_message(anna.chat_id, "Add a short note")
    await client.move_live_location(anna, live, 39.9500, 116.5000)  # the phone keeps moving: an edit, not news
    await client.press(anna, question, "Skip")
    summary = await client.wait_for_message(anna.chat_id, "Please check")
    assert "Place: 39.91000, 116.40000" in summary.text


async def test_a_location_first_then_the_photo(bot: RunningBot, client: SandboxClient, anna: SandboxUser) -> None:
    await client.send_location(anna, *INSIDE)
    first = await client.wait_for_message(anna.chat_id)
    assert first.text == (
        "📍 Location saved: 39.91000, 116.40000\n\n"
        "Send 1 to 5 photos of the problem: as photos, an album or image files."
    )
    await client.send_photo(anna, jpeg(), caption="Posters all over the lamp post")
    picker = await client.wait_for_message(anna.chat_id, "What kind of problem is it?")
    await client.press(anna, picker, "Illegal small ads / posters")
    # Place known and the caption taken as the note: straight to the summary.
    summary = await client.wait_for_message(anna.chat_id, "Please check")
    assert "Note: Posters all over the lamp post" in summary.text


async def test_duplicates_link_to_the_open_case(bot: RunningBot, client: SandboxClient) -> None:
    await seed_city(bot)
    anna = await client.create_user(first_name="Anna", language_code="en")
    li = await client.create_user(first_name="李雷", language_code="zh")
    await report(client, anna, category="Illegal small ads / posters")
    zh = {
        "where": "问题在哪里？",
        "note": "可以给网格员留一句简短说明",
        "check": "请核对",
        "skip": "跳过",
        "submit": "✅ 提交",
        "done": "#1",
    }
    near = (INSIDE[0] + 0.0002, INSIDE[1])  # about 22 m away
    done = await report(client, li, category="非法小广告（牛皮癣）", where=near, labels=zh)
    assert done.text == ("该问题已有人上报（#1）。您的上报 #2 已作为相似案件关联到 #1，您将收到 #1 的处理进展。")
    first, second = await cases(bot)
    assert second.status == CaseStatus.DUPLICATE and second.parent_case_id == first.id
    assert first.status == CaseStatus.DISPATCHED
