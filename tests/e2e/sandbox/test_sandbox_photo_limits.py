"""The sandbox refuses the photos and keyboards Telegram refuses, at the limit and one step over it.

A bot's photo upload: at most 10 MB (10,485,760 bytes), width + height at most 10,000, sides at most 20:1; an inline
keyboard: at most 100 buttons, on every method that takes one. A refused call leaves nothing in the chat.
"""

from __future__ import annotations

import io

import pytest
from PIL import Image
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, InputMediaPhoto
from telegram.error import BadRequest

from sandbox import SandboxClient, SandboxUser
from sandbox.files import MAX_PHOTO_BYTES
from tests.e2e.test_telegram_limits import jpeg_of

TOKEN = "123458:sandbox-photo-limits-token"
TOO_BIG = rf"(?i)file of size {MAX_PHOTO_BYTES + 1} bytes is too big for a photo; the maximum size is 10485760 bytes"
DIMENSIONS = r"(?i)photo_invalid_dimensions"
TOO_MANY_BUTTONS = r"(?i)reply markup is too long"


@pytest.fixture
async def ann(client: SandboxClient) -> SandboxUser:
    return await client.create_user(id=4401, first_name="Ann", language_code="en")


def picture(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (10, 120, 30)).save(out, format="JPEG")
    return out.getvalue()


def buttons(count: int) -> InlineKeyboardMarkup:
    """``count`` buttons, eight to a row."""
    every = [InlineKeyboardButton(f"{n}", callback_data=f"b:{n}") for n in range(count)]
    return InlineKeyboardMarkup([every[i : i + 8] for i in range(0, count, 8)])


async def shown(client: SandboxClient, user: SandboxUser) -> int:
    return len(await client.bot_messages(user.chat_id))


async def test_a_photo_of_10_mb_goes_and_one_byte_more_is_refused(
    bot: Bot, client: SandboxClient, ann: SandboxUser
) -> None:
    sent = await bot.send_photo(ann.chat_id, jpeg_of(MAX_PHOTO_BYTES), write_timeout=60)
    assert sent.photo[-1].file_size == MAX_PHOTO_BYTES
    with pytest.raises(BadRequest, match=TOO_BIG):
        await bot.send_photo(ann.chat_id, jpeg_of(MAX_PHOTO_BYTES + 1), write_timeout=60)
    assert await shown(client, ann) == 1


@pytest.mark.parametrize(
    ("fits", "over"),
    [
        ((9000, 1000), (9000, 1001)),
        ((1000, 9000), (1001, 9000)),
        ((2000, 100), (2001, 100)),
        ((100, 2000), (100, 2001)),
    ],
    ids=["width+height", "height+width", "20:1 wide", "1:20 tall"],
)
async def test_a_photo_at_the_dimension_limits_goes_and_one_pixel_over_is_refused(
    bot: Bot, client: SandboxClient, ann: SandboxUser, fits: tuple[int, int], over: tuple[int, int]
) -> None:
    sent = await bot.send_photo(ann.chat_id, picture(*fits))
    assert (sent.photo[-1].width, sent.photo[-1].height) == fits
    with pytest.raises(BadRequest, match=DIMENSIONS):
        await bot.send_photo(ann.chat_id, picture(*over))
    assert await shown(client, ann) == 1


async def test_an_album_with_one_photo_over_a_limit_is_refused_whole(
    bot: Bot, client: SandboxClient, ann: SandboxUser
) -> None:
    small = picture(64, 64)
    with pytest.raises(BadRequest, match=DIMENSIONS):
        await bot.send_media_group(ann.chat_id, [InputMediaPhoto(small), InputMediaPhoto(picture(5001, 5000))])
    with pytest.raises(BadRequest, match=TOO_BIG):
        await bot.send_media_group(
            ann.chat_id, [InputMediaPhoto(small), InputMediaPhoto(jpeg_of(MAX_PHOTO_BYTES + 1))], write_timeout=60
        )
    assert await shown(client, ann) == 0
    assert len(await bot.send_media_group(ann.chat_id, [InputMediaPhoto(small), InputMediaPhoto(picture(5000, 5000))]))


async def test_a_keyboard_of_100_buttons_goes_and_101_are_refused_when_sending(
    bot: Bot, client: SandboxClient, ann: SandboxUser
) -> None:
    sent = await bot.send_message(ann.chat_id, "pick", reply_markup=buttons(100))
    assert sum(len(row) for row in sent.reply_markup.inline_keyboard) == 100  # type: ignore[union-attr]
    with pytest.raises(BadRequest, match=TOO_MANY_BUTTONS):
        await bot.send_message(ann.chat_id, "pick", reply_markup=buttons(101))
    with pytest.raises(BadRequest, match=TOO_MANY_BUTTONS):
        await bot.send_photo(ann.chat_id, picture(64, 64), reply_markup=buttons(101))
    with pytest.raises(BadRequest, match=TOO_MANY_BUTTONS):
        await bot.send_location(ann.chat_id, 39.9, 116.4, reply_markup=buttons(101))
    assert await shown(client, ann) == 1


async def test_a_keyboard_of_101_buttons_is_refused_when_editing(
    bot: Bot, client: SandboxClient, ann: SandboxUser
) -> None:
    text = await bot.send_message(ann.chat_id, "pick", reply_markup=buttons(2))
    photo = await bot.send_photo(ann.chat_id, picture(64, 64), caption="look")
    where = {"chat_id": ann.chat_id}
    with pytest.raises(BadRequest, match=TOO_MANY_BUTTONS):
        await bot.edit_message_text("pick again", message_id=text.message_id, reply_markup=buttons(101), **where)
    with pytest.raises(BadRequest, match=TOO_MANY_BUTTONS):
        await bot.edit_message_reply_markup(message_id=text.message_id, reply_markup=buttons(101), **where)
    with pytest.raises(BadRequest, match=TOO_MANY_BUTTONS):
        await bot.edit_message_caption(message_id=photo.message_id, caption="x", reply_markup=buttons(101), **where)
    before, _ = await client.bot_messages(ann.chat_id)
    assert before.text == "pick" and len(before.buttons[0]) == 2  # unchanged
    await bot.edit_message_reply_markup(message_id=text.message_id, reply_markup=buttons(100), **where)
    after, _ = await client.bot_messages(ann.chat_id)
    assert sum(len(row) for row in after.buttons) == 100
