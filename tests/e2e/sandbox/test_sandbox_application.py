"""A real PTB Application polling the sandbox: users act, handlers reply, the chat shows the result."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from typing import Any

import pytest
from PIL import Image
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from sandbox import SandboxClient, SandboxServer, SandboxUser
from sandbox.testing import point_at, polling

TOKEN = "424242:application-test-token"
Context = ContextTypes.DEFAULT_TYPE


async def start(update: Update, context: Context) -> None:
    """Greet and offer a button."""
    assert update.effective_user and update.message
    keyboard = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton("Submit", callback_data="draft:submit"),
                InlineKeyboardButton("Cancel", callback_data="draft:cancel"),
            ]
        ]
    )
    args = " ".join(context.args or [])
    await update.message.reply_text(f"Welcome, {update.effective_user.first_name}! ({args})", reply_markup=keyboard)


async def echo(update: Update, context: Context) -> None:
    """Repeat the text."""
    assert update.message and update.message.text
    await update.message.reply_text(f"You said: {update.message.text}")


async def photo(update: Update, context: Context) -> None:
    """Download the photo and report what arrived."""
    assert update.message
    largest = update.message.photo[-1]
    data = await (await largest.get_file()).download_as_bytearray()
    group = update.message.media_group_id or "-"
    await update.message.reply_text(f"Photo {largest.width}x{largest.height}, {len(data)} bytes, album {group}")


async def document(update: Update, context: Context) -> None:
    """Check whether the file still carries EXIF."""
    assert update.message and update.message.document
    data = await (await update.message.document.get_file()).download_as_bytearray()
    with Image.open(io.BytesIO(data)) as image:
        maker = image.getexif().get(0x010F, "none")
    await update.message.reply_text(f"File {update.message.document.file_name}, camera {maker}")


async def location(update: Update, context: Context) -> None:
    """Acknowledge a location, live or not, first or moved."""
    message = update.effective_message
    assert message and message.location
    kind = "moved" if update.edited_message else "live" if message.location.live_period else "pin"
    assert update.effective_chat
    await context.bot.send_message(
        update.effective_chat.id,
        f"Location {kind}: {message.location.latitude:.4f},{message.location.longitude:.4f}",
    )


async def pressed(update: Update, context: Context) -> None:
    """Answer with an alert and edit the message, as a submit button would."""
    query = update.callback_query
    assert query
    if query.data == "draft:submit":
        await query.answer("Report #12 submitted", show_alert=True)
        await query.edit_message_text("Report #12: submitted")
    else:
        await query.answer()
        await query.edit_message_text("Cancelled")


@pytest.fixture(autouse=True)
def timedelta_periods(monkeypatch: pytest.MonkeyPatch) -> None:
    """PTB 22 warns when reading live_period as an int, and warnings are errors here."""
    monkeypatch.setenv("PTB_TIMEDELTA", "1")


@pytest.fixture
async def running_bot(server: SandboxServer) -> AsyncIterator[Application[Any, Any, Any, Any, Any, Any]]:
    application = point_at(Application.builder().token(TOKEN), server).build()
    application.add_handler(CommandHandler("start", start))
    application.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    application.add_handler(MessageHandler(filters.PHOTO, photo))
    application.add_handler(MessageHandler(filters.Document.ALL, document))
    application.add_handler(MessageHandler(filters.LOCATION, location))
    application.add_handler(CallbackQueryHandler(pressed))
    async with polling(application):
        yield application


@pytest.fixture
async def ann(client: SandboxClient) -> SandboxUser:
    return await client.create_user(id=6001, first_name="Ann", language_code="zh")


def jpeg(width: int, height: int, maker: str | None = None) -> bytes:
    out = io.BytesIO()
    image = Image.new("RGB", (width, height), (90, 160, 60))
    if maker:
        exif = Image.Exif()
        exif[0x010F] = maker
        image.save(out, format="JPEG", exif=exif)
    else:
        image.save(out, format="JPEG")
    return out.getvalue()


async def test_command_with_arguments_gets_a_reply(running_bot: Any, client: SandboxClient, ann: SandboxUser) -> None:
    await client.send_command(ann, "/start", "from_poster")
    reply = await client.wait_for_message(ann.chat_id)
    assert reply.text == "Welcome, Ann! (from_poster)"
    assert reply.button_texts == ["Submit", "Cancel"]


async def test_text_is_answered_in_order(running_bot: Any, client: SandboxClient, ann: SandboxUser) -> None:
    await client.send_text(ann, "first")
    assert (await client.wait_for_message(ann.chat_id)).text == "You said: first"
    await client.send_text(ann, "second")
    assert (await client.wait_for_message(ann.chat_id)).text == "You said: second"
    assert [m.text for m in await client.messages(ann.chat_id)] == [
        "first",
        "You said: first",
        "second",
        "You said: second",
    ]


async def test_pressing_submit_shows_an_alert_and_updates_the_message(
    running_bot: Any, client: SandboxClient, ann: SandboxUser
) -> None:
    await client.send_command(ann, "start")
    welcome = await client.wait_for_message(ann.chat_id, "Welcome")
    query_id = await client.press(ann, welcome, "Submit")
    answer = await client.wait_for_answer(query_id)
    assert answer.show_alert and answer.text == "Report #12 submitted"
    edited = await client.wait_for_edit(ann.chat_id, "#12")
    assert edited.message_id == welcome.message_id
    [_, shown] = await client.messages(ann.chat_id)
    assert shown.text == "Report #12: submitted" and shown.buttons == []


async def test_a_button_answered_silently_shows_no_alert(
    running_bot: Any, client: SandboxClient, ann: SandboxUser
) -> None:
    await client.send_command(ann, "start")
    welcome = await client.wait_for_message(ann.chat_id)
    answer = await client.wait_for_answer(await client.press(ann, welcome, "draft:cancel"))
    assert not answer.show_alert and answer.text is None
    assert (await client.wait_for_edit(ann.chat_id)).text == "Cancelled"


async def test_photo_reaches_the_handler_with_its_bytes(
    running_bot: Any, client: SandboxClient, ann: SandboxUser
) -> None:
    original = jpeg(1200, 900)
    await client.send_photo(ann, original, caption="Posters on the pole")
    reply = await client.wait_for_message(ann.chat_id)
    assert reply.text == f"Photo 1200x900, {len(original)} bytes, album -"


async def test_album_arrives_as_messages_sharing_a_group(
    running_bot: Any, client: SandboxClient, ann: SandboxUser
) -> None:
    sent = await client.send_album(ann, [jpeg(300, 200), jpeg(200, 300)])
    group = sent[0].media_group_id
    replies = {(await client.wait_for_message(ann.chat_id)).text for _ in sent}
    assert {text.split(",")[0] for text in replies} == {"Photo 300x200", "Photo 200x300"}
    assert all(text.endswith(f"album {group}") for text in replies)


async def test_document_keeps_the_camera_exif(running_bot: Any, client: SandboxClient, ann: SandboxUser) -> None:
    await client.send_document(ann, jpeg(640, 480, maker="CityPhone"), "IMG_0042.jpg", "image/jpeg")
    reply = await client.wait_for_message(ann.chat_id)
    assert reply.text == "File IMG_0042.jpg, camera CityPhone"


async def test_live_location_moves_arrive_as_edits(running_bot: Any, client: SandboxClient, ann: SandboxUser) -> None:
    live = await client.send_location(ann, 39.9, 116.4, live_period=900)
    assert (await client.wait_for_message(ann.chat_id)).text == "Location live: 39.9000,116.4000"
    await client.move_live_location(ann, live, 39.91, 116.41)
    assert (await client.wait_for_message(ann.chat_id)).text == "Location moved: 39.9100,116.4100"


async def test_venue_counts_as_a_location(running_bot: Any, client: SandboxClient, ann: SandboxUser) -> None:
    await client.send_venue(ann, 31.23, 121.47, "People's Square", "Huangpu, Shanghai")
    assert (await client.wait_for_message(ann.chat_id)).text == "Location pin: 31.2300,121.4700"


async def test_stickers_and_voice_are_real_shaped_messages(
    running_bot: Any, client: SandboxClient, ann: SandboxUser
) -> None:
    sticker = await client.send_sticker(ann)
    voice = await client.send_voice(ann)
    assert sticker.raw["sticker"]["type"] == "regular" and voice.raw["voice"]["duration"] == 2
    await client.send_text(ann, "still there?")
    assert (await client.wait_for_message(ann.chat_id)).text == "You said: still there?"


async def test_waiting_for_a_reply_that_never_comes_names_what_the_bot_said(
    running_bot: Any, client: SandboxClient, ann: SandboxUser
) -> None:
    await client.send_text(ann, "ping")
    with pytest.raises(TimeoutError, match="You said: ping"):
        await client.wait_for_message(ann.chat_id, "pong", timeout=0.5)
