"""The sandbox measures texts as Telegram does: in UTF-16 code units (an emoji outside the BMP counts twice)."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, InputMediaPhoto
from telegram.error import BadRequest

from sandbox import SandboxClient, SandboxUser

TOKEN = "123457:sandbox-lengths-token"
EMOJI = "🚧"  # two UTF-16 units


@pytest.fixture
async def ann(client: SandboxClient) -> SandboxUser:
    return await client.create_user(id=4301, first_name="Ann", language_code="en")


def picture() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 64), (10, 20, 30)).save(out, format="JPEG")
    return out.getvalue()


async def test_a_text_of_4096_units_goes_and_one_over_is_refused(bot: Bot, ann: SandboxUser) -> None:
    await bot.send_message(ann.chat_id, EMOJI * 2048)  # 2,048 characters, 4,096 units
    with pytest.raises(BadRequest, match=r"(?i)too.long"):
        await bot.send_message(ann.chat_id, EMOJI * 2048 + "x")  # 2,049 characters, 4,097 units


async def test_a_caption_is_measured_in_utf16_units(bot: Bot, ann: SandboxUser) -> None:
    await bot.send_photo(ann.chat_id, picture(), caption=EMOJI * 512)
    with pytest.raises(BadRequest, match="caption is too long"):
        await bot.send_photo(ann.chat_id, picture(), caption=EMOJI * 600)  # 600 characters, 1,200 units


async def test_an_edit_is_measured_in_utf16_units(bot: Bot, ann: SandboxUser) -> None:
    sent = await bot.send_message(ann.chat_id, "short")
    with pytest.raises(BadRequest, match=r"(?i)too.long"):
        await bot.edit_message_text(EMOJI * 2049, chat_id=ann.chat_id, message_id=sent.message_id)


async def test_an_answer_to_a_press_holds_200_units(bot: Bot, client: SandboxClient, ann: SandboxUser) -> None:
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Go", callback_data="go")]])
    sent = await bot.send_message(ann.chat_id, "press", reply_markup=keyboard)
    first = await client.press(ann, sent.message_id, "Go")
    second = await client.press(ann, sent.message_id, "Go")
    updates = await bot.get_updates()
    queries = {u.callback_query.id: u.callback_query for u in updates if u.callback_query}
    with pytest.raises(BadRequest, match=r"(?i)message.too.long"):
        await bot.answer_callback_query(queries[first].id, text=EMOJI * 101)
    assert await bot.answer_callback_query(queries[second].id, text=EMOJI * 100)


async def test_an_album_caption_is_measured_in_utf16_units(bot: Bot, ann: SandboxUser) -> None:
    fits = [InputMediaPhoto(picture(), caption=EMOJI * 512), InputMediaPhoto(picture())]
    assert len(await bot.send_media_group(ann.chat_id, fits)) == 2
    over = [InputMediaPhoto(picture(), caption=EMOJI * 513), InputMediaPhoto(picture())]
    with pytest.raises(BadRequest, match=r"(?i)caption.is.too.long"):
        await bot.send_media_group(ann.chat_id, over)
