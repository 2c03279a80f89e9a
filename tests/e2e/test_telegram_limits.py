"""Telegram's limits, one test each, at the limit and just over it, as a person sees it through the sandbox.

Which test covers which limit (those already elsewhere are listed, not repeated):

- message text, 4,096 UTF-16 units: an answer, here ``test_an_answer_of_4096_units_is_one_message_and_one_more_is_two``;
  a notice, tests/integration/test_telegram_sender.py ``test_a_text_over_4096_utf16_units_is_split_at_line_ends``.
- caption, 1,024 UTF-16 units: a notice with a photo, here
  ``test_a_caption_of_1024_units_stays_and_one_more_follows_the_photo``; the weekly chart,
  tests/integration/test_summary_broadcast.py and test_telegram_sender.py (a chart with a long report).
- callback_data, 64 bytes: an answer's choices, here ``test_a_choice_of_64_bytes_is_offered_and_one_of_65_left_out``;
  a notice's choices, tests/integration/test_telegram_sender.py ``test_a_token_over_64_bytes_is_left_out_not_sent``;
  long area ids become a digest, tests/e2e/test_subscribe_flow.py.
- a bot downloads files of at most 20 MB: here ``test_a_file_over_20_mb_is_refused_and_never_fetched``; the
  sandbox's getFile refuses more, tests/e2e/sandbox/test_sandbox_botapi.py.
- a photo upload holds at most 10 MB, and a kept copy is sent again as a photo, so the bot takes files of at most
  10 MB: here ``test_a_file_of_10_mb_is_taken_and_one_byte_more_is_refused``; a ``max_file_mb`` over 10 is refused,
  tests/unit/test_config.py.
- an uploaded photo: at most 10 MB, width + height at most 10,000, sides at most 20:1. A kept copy is made to fit
  (tests/unit/test_photo_without_metadata.py: a noisy picture over 10 MB at quality 90, 9000x3000, a 30:1 strip);
  through the sandbox, here ``test_an_image_file_too_large_to_be_a_photo_reaches_the_officer_scaled_to_fit``. The
  sandbox refuses what Telegram refuses, tests/e2e/sandbox/test_sandbox_photo_limits.py; WeChat's 10 MB image
  upload (40006), tests/e2e/wechat/test_api.py.
- an inline keyboard holds at most 100 buttons ("reply markup is too long"): the lists come in pages (here
  ``test_a_long_list_of_areas_comes_in_pages_of_small_keyboards`` and
  ``test_a_street_of_many_communities_comes_in_pages_of_small_keyboards``), and a keyboard is cut at 100 whatever
  it is given, tests/unit/test_telegram_adapter.py ``test_a_keyboard_is_cut_at_100_buttons``; the sandbox refuses
  101 on every method taking one, tests/e2e/sandbox/test_sandbox_photo_limits.py.
- an album holds 2-10 photos: tests/e2e/test_report_inputs.py ``test_an_album_over_the_limit_keeps_five_and_says_so``.
- 1 message/s per chat, 20 a minute per group, 30/s in all: tests/integration/test_delivery_pacing.py; the
  sandbox's 429 answers, tests/unit/test_sandbox_limits.py.
- the command menu (at most 100 commands; names of 1-32 of a-z, 0-9, _; descriptions of 1-256 characters): here
  ``test_the_published_command_menu_is_within_telegrams_limits``.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from PIL import Image

from channels.telegram.limits import MAX_CAPTION, MAX_TEXT, utf16_length
from channels.telegram.render import Renderer, send_messages
from channels.telegram.sender import TelegramSender
from models.grid import UnitLevel
from models.uow import UnitOfWork
from sandbox.client import SandboxClient
from sandbox.params import Upload
from sandbox.server import SandboxServer
from sandbox.useractions import make_actor, send_document
from sandbox.views import SandboxUser
from services.channels import Outgoing
from services.grids import save_unit
from services.messages import Choice, Message, PhotoRef, Text
from tests.e2e.conftest import TOKEN, RunningBot
from tests.e2e.test_officer_flow import card, reported, staffed_city

MB = 1024 * 1024
LINE = "🙂字" * 21  # 63 UTF-16 units: the emoji counts twice, as Telegram counts it


def text_of(units: int) -> str:
    """Lines of emoji and CJK, ``units`` UTF-16 units in all."""
    lines, used = [], 0
    while used + 64 <= units:
        lines.append(LINE)
        used += 64  # the line and its line break
    said = "\n".join(lines) + "字" * (units - used + 1)
    assert utf16_length(said) == units
    return said


def jpeg_of(size: int) -> bytes:
    """A real JPEG padded to exactly ``size`` bytes (data after the image's end is ignored by readers)."""
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 80, 40)).save(out, "JPEG")
    return out.getvalue().ljust(size, b"\0")


def send_big_file(sandbox: SandboxServer, user: SandboxUser, size: int) -> str:
    """The person sends an image "as file" of ``size`` bytes (in process: an HTTP upload this big is slow); its id."""
    actor = make_actor(sandbox.state, user.id, TOKEN, None)
    sent = send_document(actor, {"mime_type": "image/jpeg"}, [Upload("street.jpg", "image/jpeg", jpeg_of(size))])
    return str(sent["message"]["document"]["file_id"])


async def test_an_answer_of_4096_units_is_one_message_and_one_more_is_two(
    bot: RunningBot, client: SandboxClient
) -> None:
    anna = await client.create_user(first_name="Anna", language_code="en")
    assert bot.services is not None
    renderer = Renderer(bot.services, "en")
    for units, parts in ((MAX_TEXT, 1), (MAX_TEXT + 1, 2)):
        said = text_of(units)
        await send_messages(bot.app.bot, anna.chat_id, [Message((Text.raw(said),))], renderer)
        shown = [m.text for m in (await client.bot_messages(anna.chat_id))[-parts:]]
        assert all(utf16_length(part) <= MAX_TEXT for part in shown)
        assert "\n".join(shown) == said  # split at a line end: nothing lost, nothing cut mid-line
    assert len(await client.bot_messages(anna.chat_id)) == 3


async def test_a_caption_of_1024_units_stays_and_one_more_follows_the_photo(
    bot: RunningBot, client: SandboxClient, tmp_path: Path
) -> None:
    anna = await client.create_user(first_name="Anna", language_code="en")
    assert bot.services is not None
    picture = tmp_path / "card.jpg"
    picture.write_bytes(jpeg_of(2000))
    sender = TelegramSender(bot.app.bot, bot.services)
    for n, units in enumerate((MAX_CAPTION, MAX_CAPTION + 1)):
        said = "Case #7: Exposed litter\n" + text_of(units - 24)
        message = Message((Text.raw(said),), photos=(PhotoRef(path=str(picture)),))
        await sender.deliver(Outgoing(n + 1, str(anna.chat_id), message, "en", "assignment_card"))
    at_limit, title, rest = await client.bot_messages(anna.chat_id)
    assert at_limit.raw.get("photo") and at_limit.text == "Case #7: Exposed litter\n" + text_of(MAX_CAPTION - 24)
    assert title.raw.get("photo") and title.text == "Case #7: Exposed litter"  # the picture keeps its title
    assert "photo" not in rest.raw and rest.text == "Case #7: Exposed litter\n" + text_of(MAX_CAPTION + 1 - 24)


async def test_a_choice_of_64_bytes_is_offered_and_one_of_65_left_out(bot: RunningBot, client: SandboxClient) -> None:
    anna = await client.create_user(first_name="Anna", language_code="en")
    assert bot.services is not None
    fits, over = "sub:u:" + "é" * 29, "sub:u:" + "é" * 29 + "x"  # 64 and 65 bytes
    assert (len(fits.encode()), len(over.encode())) == (64, 65)
    choices = ((Choice(Text.raw("Fits"), fits), Choice(Text.raw("Too long"), over)),)
    await send_messages(
        bot.app.bot, anna.chat_id, [Message((Text.raw("Pick one"),), choices)], Renderer(bot.services, "en")
    )
    [shown] = await client.bot_messages(anna.chat_id)
    assert shown.text == "Pick one"
    assert [[b.callback_data for b in row] for row in shown.buttons] == [[fits]]


async def test_a_long_list_of_areas_comes_in_pages_of_small_keyboards(bot: RunningBot, client: SandboxClient) -> None:
    assert bot.services is not None
    async with UnitOfWork(bot.services.db) as uow:
        for n in range(130):
            await save_unit(
                uow.session, unit_id=f"S-{n:03}", name=f"街道{n:03}", level=UnitLevel.STREET, now=bot.clock.now()
            )
        await uow.commit()
    anna = await client.create_user(first_name="Anna", language_code="en")
    await client.send_command(anna, "/subscribe")
    page = await client.wait_for_message(anna.chat_id, "Which area")
    seen: set[str] = set()
    while True:
        buttons = [b for row in page.buttons for b in row]
        assert len(buttons) <= 100 and all(len(row) <= 8 for row in page.buttons)
        seen |= {b.text for b in buttons if b.text.startswith("街道")}
        if not any(b.text == "»" for b in buttons):
            break
        await client.press(anna, page, "»")
        page = await client.wait_for_edit(anna.chat_id, "Which area")
    assert len(seen) == 130  # every street can be reached


async def test_a_street_of_many_communities_comes_in_pages_of_small_keyboards(
    bot: RunningBot, client: SandboxClient
) -> None:
    assert bot.services is not None
    street = "110101-dongcheng-district-donghuamen-street-office-unit-0001"  # too long for its page tokens
    async with UnitOfWork(bot.services.db) as uow:
        await save_unit(uow.session, unit_id=street, name="东华门街道", level=UnitLevel.STREET, now=bot.clock.now())
        for n in range(130):
            await save_unit(
                uow.session,
                unit_id=f"C-{n:03}",
                name=f"社区{n:03}",
                level=UnitLevel.COMMUNITY,
                parent_id=street,
                now=bot.clock.now(),
            )
        await uow.commit()
    anna = await client.create_user(first_name="Anna", language_code="en")
    await client.send_command(anna, "/subscribe")
    await client.press(anna, await client.wait_for_message(anna.chat_id, "Which area"), "东华门街道")
    page = await client.wait_for_edit(anna.chat_id, "Which area")
    seen: list[str] = []
    while True:
        buttons = [b for row in page.buttons for b in row]
        assert len(buttons) <= 100 and all(len((b.callback_data or "").encode()) <= 64 for b in buttons)
        assert buttons[0].text == "All of 东华门街道" and buttons[-1].text == "« Back"
        seen += [b.text for b in buttons if b.text.startswith("社区")]
        if not any(b.text == "»" for b in buttons):
            break
        await client.press(anna, page, "»")
        page = await client.wait_for_edit(anna.chat_id, "Which area")
    assert seen == [f"社区{n:03}" for n in range(130)]  # every community, once, in order
    await client.press(anna, page, "«")
    back = await client.wait_for_edit(anna.chat_id, "Which area")
    assert "社区100" in back.button_texts and "社区120" not in back.button_texts
    await client.press(anna, back, "社区101")
    await client.wait_for_edit(anna.chat_id, "Subscribed: you will receive the weekly report for 社区101.")


async def test_a_file_over_20_mb_is_refused_and_never_fetched(
    bot: RunningBot, client: SandboxClient, sandbox: SandboxServer
) -> None:
    anna = await client.create_user(first_name="Anna", language_code="en")
    sent = send_big_file(sandbox, anna, 20 * MB + 1)
    refused = await client.wait_for_message(anna.chat_id)
    assert refused.text == "This file is 20.0 MB, more than the 10 MB I accept. Please send a smaller photo."
    assert sandbox.state.files.get(sent).downloads == 0


async def test_a_file_of_10_mb_is_taken_and_one_byte_more_is_refused(
    bot: RunningBot, client: SandboxClient, sandbox: SandboxServer
) -> None:
    anna = await client.create_user(first_name="Anna", language_code="en")
    over = send_big_file(sandbox, anna, 10 * MB + 1)
    refused = await client.wait_for_message(anna.chat_id)
    assert refused.text == "This file is 10.0 MB, more than the 10 MB I accept. Please send a smaller photo."
    assert sandbox.state.files.get(over).downloads == 0
    fits = send_big_file(sandbox, anna, 10 * MB)
    taken = await client.wait_for_message(anna.chat_id)
    assert taken.text.startswith("📷 Got it: 1/5 photos.")
    assert sandbox.state.files.get(fits).downloads == 1


async def test_the_published_command_menu_is_within_telegrams_limits(bot: RunningBot, sandbox: SandboxServer) -> None:
    menus = sandbox.state.pick_bot(TOKEN).commands
    assert menus  # published in both languages at start
    for commands in menus.values():
        assert 1 <= len(commands) <= 100
        for command in commands:
            assert re.fullmatch(r"[a-z0-9_]{1,32}", command["command"])
            assert 1 <= len(command["description"]) <= 256


async def test_an_image_file_too_large_to_be_a_photo_reaches_the_officer_scaled_to_fit(
    bot: RunningBot, client: SandboxClient, sandbox: SandboxServer
) -> None:
    city = await staffed_city(bot, client)
    wide = Image.new("RGB", (9000, 2000), (220, 30, 30))
    wide.paste((30, 30, 220), (4500, 0, 9000, 2000))  # red left half, blue right half
    out = io.BytesIO()
    wide.save(out, "PNG")
    assert len(out.getvalue()) < 10 * MB  # the bot takes it: only its dimensions are more than a photo may have

    case_id = await reported(bot, client, city, file=(out.getvalue(), "panorama.png", "image/png"))

    photos = [m for m in await client.bot_messages(city.officer_b.chat_id) if m.raw.get("photo")]
    assert len(photos) == 1  # shown, not refused by Telegram
    [photo] = photos
    assert f"#{case_id}" in photo.text
    assert (await card(client, city.officer_b, case_id)).button_texts == ["Accept", "Resolve", "Return"]
    largest = photo.raw["photo"][-1]
    width, height = largest["width"], largest["height"]
    assert width + height <= 10_000 and width / height == pytest.approx(4.5, rel=0.01)
    assert largest["file_size"] <= 10 * MB
    assert photo.file_id is not None
    with Image.open(io.BytesIO(sandbox.state.files.get(photo.file_id).data)) as shown:
        left, right = shown.convert("RGB").getpixel((10, height // 2)), shown.convert("RGB").getpixel((width - 10, 10))
    assert isinstance(left, tuple) and isinstance(right, tuple)
    assert left[0] > 180 > left[2] and right[2] > 180 > right[0]  # the whole picture, the right way round
