"""citybot's Bot API transport (aiohttp) against the sandbox: what PTB sends arrives, failures keep PTB's types."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator

import pytest
from PIL import Image
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, InputMediaPhoto
from telegram.error import BadRequest, NetworkError, TimedOut

from channels.telegram.request import AiohttpRequest
from sandbox.client import SandboxClient
from sandbox.server import SandboxServer
from tests.e2e.conftest import TOKEN


@pytest.fixture
async def bot(sandbox: SandboxServer, client: SandboxClient) -> AsyncIterator[Bot]:
    """A PTB bot on citybot's transport, with a short read timeout."""
    request = AiohttpRequest(read_timeout=0.5)
    async with Bot(TOKEN, base_url=sandbox.base_url, base_file_url=sandbox.base_file_url, request=request) as ptb:
        yield ptb


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (320, 240), (200, 60, 30)).save(out, "JPEG")
    return out.getvalue()


async def test_texts_keyboards_uploads_and_downloads_arrive_as_sent(bot: Bot, client: SandboxClient) -> None:
    anna = await client.create_user(first_name="Anna", language_code="en")
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Accept", callback_data="case:accept:17")]])
    await bot.send_message(anna.chat_id, "新案件 #17", reply_markup=keyboard)
    card = await client.wait_for_message(anna.chat_id)
    assert (card.text, card.button_texts) == ("新案件 #17", ["Accept"])
    await bot.send_media_group(
        anna.chat_id, [InputMediaPhoto(jpeg(), caption="before"), InputMediaPhoto(jpeg(), filename="after.jpg")]
    )
    album = await client.wait_for_message(anna.chat_id, "before")
    sent = await bot.get_file(album.raw["photo"][-1]["file_id"])
    assert bytes(await sent.download_as_bytearray()) == await client.download(album.raw["photo"][-1]["file_id"])


async def test_a_slow_answer_is_timed_out_and_a_refusal_is_a_bad_request(bot: Bot, client: SandboxClient) -> None:
    anna = await client.create_user(first_name="Anna", language_code="en")
    await client.set_faults(delays={"sendMessage": 2.0})
    with pytest.raises(TimedOut):
        await bot.send_message(anna.chat_id, "slow")
    await client.clear_faults()
    with pytest.raises(BadRequest):
        await bot.send_message(987654321, "nobody lives here")
    closed = AiohttpRequest()
    with pytest.raises(RuntimeError):
        await closed.do_request("http://127.0.0.1:9/", "GET")
    await closed.initialize()
    try:
        with pytest.raises(NetworkError):
            await closed.do_request("http://127.0.0.1:9/", "GET")  # nothing listens on the discard port
    finally:
        await closed.shutdown()
