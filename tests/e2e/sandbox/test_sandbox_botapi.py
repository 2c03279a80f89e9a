"""A real PTB Bot against the sandbox: what it sends is what the user's chat shows."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from telegram import (
    Bot,
    BotCommand,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputMediaPhoto,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)
from telegram.error import BadRequest, EndPointNotFound, Forbidden, InvalidToken, NetworkError

from sandbox import SandboxClient, SandboxServer, SandboxUser
from sandbox.testing import no_internet

TOKEN = "123456:sandbox-test-token"


@pytest.fixture
async def ann(client: SandboxClient) -> SandboxUser:
    return await client.create_user(id=4201, first_name="Ann", username="ann", language_code="zh")


def jpeg(width: int = 800, height: int = 600, maker: str | None = None) -> bytes:
    out = io.BytesIO()
    image = Image.new("RGB", (width, height), (30, 120, 200))
    if maker:
        exif = Image.Exif()
        exif[0x010F] = maker
        image.save(out, format="JPEG", exif=exif)
    else:
        image.save(out, format="JPEG")
    return out.getvalue()


async def test_sent_message_shows_in_the_chat_with_its_buttons(
    bot: Bot, client: SandboxClient, ann: SandboxUser
) -> None:
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Details", callback_data="case:show:12")]])
    sent = await bot.send_message(ann.chat_id, "Case <b>#12</b> accepted", parse_mode="HTML", reply_markup=keyboard)
    assert sent.text == "Case #12 accepted"
    assert sent.from_user is not None and sent.from_user.id == 123456
    [shown] = await client.messages(ann.chat_id)
    assert shown.from_bot and shown.text == "Case #12 accepted"
    assert shown.button("Details").callback_data == "case:show:12"


async def test_message_ids_count_up_per_chat(bot: Bot, client: SandboxClient, ann: SandboxUser) -> None:
    bob = await client.create_user(id=4202, first_name="Bob")
    first = await bot.send_message(ann.chat_id, "one")
    second = await bot.send_message(ann.chat_id, "two")
    other = await bot.send_message(bob.chat_id, "hi")
    assert (first.message_id, second.message_id, other.message_id) == (1, 2, 1)


async def test_unknown_chat_is_a_bad_request(bot: Bot) -> None:
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.send_message(999, "hello?")


async def test_user_who_blocked_the_bot_gives_forbidden(bot: Bot, client: SandboxClient, ann: SandboxUser) -> None:
    await client.block_bot(ann)
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(ann.chat_id, "Your case was closed")
    assert await client.messages(ann.chat_id) == []
    await client.block_bot(ann, blocked=False)
    await bot.send_message(ann.chat_id, "Your case was closed")
    assert [m.text for m in await client.messages(ann.chat_id)] == ["Your case was closed"]


async def test_uploaded_photo_downloads_with_the_same_bytes(bot: Bot, ann: SandboxUser) -> None:
    original = jpeg(800, 600)
    sent = await bot.send_photo(ann.chat_id, original, caption="Before")
    assert sent.caption == "Before"
    assert [(p.width, p.height) for p in sent.photo] == [(90, 68), (320, 240), (800, 600)]
    file = await bot.get_file(sent.photo[-1].file_id)
    assert bytes(await file.download_as_bytearray()) == original


async def test_a_bot_may_fetch_files_of_20_mb_and_no_bigger(bot: Bot, server: SandboxServer) -> None:
    limit = 20 * 1024 * 1024
    fits = server.state.files.add(bytes(limit), "documents", file_name="big.jpg", mime_type="image/jpeg")
    over = server.state.files.add(bytes(limit + 1), "documents", file_name="bigger.jpg", mime_type="image/jpeg")
    assert (await bot.get_file(fits.file_id)).file_size == limit
    with pytest.raises(BadRequest, match="File is too big"):
        await bot.get_file(over.file_id)
    assert over.downloads == 0


async def test_photo_resent_by_file_id_is_the_same_photo(bot: Bot, client: SandboxClient, ann: SandboxUser) -> None:
    first = await bot.send_photo(ann.chat_id, jpeg())
    again = await bot.send_photo(ann.chat_id, first.photo[-1].file_id)
    assert [p.file_unique_id for p in again.photo] == [p.file_unique_id for p in first.photo]
    assert len(await client.messages(ann.chat_id)) == 2


async def test_document_keeps_exif_while_photo_loses_it(bot: Bot, ann: SandboxUser) -> None:
    original = jpeg(400, 300, maker="CityPhone")
    as_file = await bot.send_document(ann.chat_id, original, filename="IMG_0001.jpg")
    assert as_file.document is not None and as_file.document.file_name == "IMG_0001.jpg"
    document_bytes = await (await bot.get_file(as_file.document.file_id)).download_as_bytearray()
    assert bytes(document_bytes) == original
    as_photo = await bot.send_photo(ann.chat_id, original)
    photo_bytes = await (await bot.get_file(as_photo.photo[-1].file_id)).download_as_bytearray()
    with Image.open(io.BytesIO(photo_bytes)) as image:
        assert not image.getexif()


async def test_media_group_arrives_as_an_album(bot: Bot, client: SandboxClient, ann: SandboxUser) -> None:
    first = await bot.send_photo(ann.chat_id, jpeg(200, 200))
    album = await bot.send_media_group(
        ann.chat_id,
        [InputMediaPhoto(jpeg(640, 480), caption="Before / after"), InputMediaPhoto(first.photo[-1])],
    )
    assert len(album) == 2 and album[0].media_group_id == album[1].media_group_id is not None
    shown = (await client.messages(ann.chat_id))[1:]
    assert [m.media_group_id for m in shown] == [album[0].media_group_id] * 2
    assert shown[0].text == "Before / after"


async def test_edited_text_is_what_the_chat_shows(bot: Bot, client: SandboxClient, ann: SandboxUser) -> None:
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Accept", callback_data="case:accept:7")]])
    sent = await bot.send_message(ann.chat_id, "Case #7: new", reply_markup=keyboard)
    await bot.edit_message_text("Case #7: accepted", chat_id=ann.chat_id, message_id=sent.message_id)
    [shown] = await client.messages(ann.chat_id)
    assert shown.text == "Case #7: accepted" and shown.edited
    assert shown.buttons == []  # an edit without reply_markup removes the keyboard, as on Telegram
    with pytest.raises(BadRequest, match="is not modified"):
        await bot.edit_message_text("Case #7: accepted", chat_id=ann.chat_id, message_id=sent.message_id)


async def test_caption_and_keyboard_edits(bot: Bot, client: SandboxClient, ann: SandboxUser) -> None:
    sent = await bot.send_photo(ann.chat_id, jpeg(), caption="Reported")
    await bot.edit_message_caption(chat_id=ann.chat_id, message_id=sent.message_id, caption="Resolved")
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Rate", callback_data="rate:7")]])
    await bot.edit_message_reply_markup(chat_id=ann.chat_id, message_id=sent.message_id, reply_markup=keyboard)
    [shown] = await client.messages(ann.chat_id)
    assert shown.text == "Resolved" and shown.button_texts == ["Rate"]
    with pytest.raises(BadRequest, match="no text in the message"):
        await bot.edit_message_text("x", chat_id=ann.chat_id, message_id=sent.message_id)


async def test_deleted_message_leaves_the_chat(bot: Bot, client: SandboxClient, ann: SandboxUser) -> None:
    sent = await bot.send_message(ann.chat_id, "oops")
    assert await bot.delete_message(ann.chat_id, sent.message_id)
    assert await client.messages(ann.chat_id) == []
    [gone] = await client.messages(ann.chat_id, include_deleted=True)
    assert gone.deleted and gone.text == "oops"
    with pytest.raises(BadRequest, match="not found"):
        await bot.delete_message(ann.chat_id, sent.message_id)


async def test_broken_html_and_oversized_callback_data_are_refused(
    bot: Bot, client: SandboxClient, ann: SandboxUser
) -> None:
    with pytest.raises(BadRequest, match="parse entities"):
        await bot.send_message(ann.chat_id, "Pole <3 m from the wall", parse_mode="HTML")
    too_long = InlineKeyboardMarkup([[InlineKeyboardButton("Go", callback_data="x" * 65)]])
    with pytest.raises(BadRequest, match=r"(?i)button_data_invalid"):
        await bot.send_message(ann.chat_id, "hi", reply_markup=too_long)
    assert await client.messages(ann.chat_id) == []


async def test_reply_keyboard_location_button_sends_the_location(
    bot: Bot, client: SandboxClient, ann: SandboxUser
) -> None:
    keyboard = ReplyKeyboardMarkup([[KeyboardButton("📍 Share location", request_location=True)]])
    await bot.send_message(ann.chat_id, "Where is it?", reply_markup=keyboard)
    [[button]] = await client.reply_keyboard(ann)
    assert button.request_location
    await client.tap_keyboard(ann, "📍 Share location", location=(39.9087, 116.3975))
    [update] = await bot.get_updates(timeout=0)
    assert update.message is not None and update.message.location is not None
    assert update.message.location.latitude == pytest.approx(39.9087)
    await bot.send_message(ann.chat_id, "Thanks", reply_markup=ReplyKeyboardRemove())
    assert await client.reply_keyboard(ann) == []


async def test_channel_posts_are_listed_and_unknown_channels_refused(bot: Bot, client: SandboxClient) -> None:
    channel = await client.create_channel("City weekly", id=-100123, username="cityweekly")
    posted = await bot.send_message(channel["id"], "Weekly report")
    assert posted.sender_chat is not None and posted.sender_chat.id == -100123
    await bot.send_message("@cityweekly", "Top problems: small ads")
    assert [m.text for m in await client.messages(-100123)] == ["Weekly report", "Top problems: small ads"]
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.send_message(-100999, "nobody here")


async def test_venue_and_location_messages(bot: Bot, client: SandboxClient, ann: SandboxUser) -> None:
    await bot.send_location(ann.chat_id, 31.2304, 121.4737)
    await bot.send_venue(ann.chat_id, 31.2, 121.4, title="Grid office", address="1 People's Rd")
    location, venue = await client.messages(ann.chat_id)
    assert location.location == (31.2304, 121.4737)
    assert venue.raw["venue"]["title"] == "Grid office"


async def test_commands_are_remembered(bot: Bot) -> None:
    await bot.set_my_commands([BotCommand("report", "Report a problem")], language_code="zh")
    assert await bot.get_my_commands(language_code="zh") == (BotCommand("report", "Report a problem"),)
    assert await bot.get_my_commands() == ()


async def test_unknown_method_is_not_found(bot: Bot) -> None:
    with pytest.raises(EndPointNotFound):
        await bot.do_api_request("sendTelepathy")


async def test_token_registry_rejects_unknown_bots() -> None:
    with no_internet():
        async with SandboxServer(tokens=[TOKEN]) as server:
            with pytest.raises(InvalidToken):
                async with Bot("999:unknown", base_url=server.base_url, base_file_url=server.base_file_url):
                    pass
            async with Bot(TOKEN, base_url=server.base_url, base_file_url=server.base_file_url) as known:
                assert (await known.get_me()).id == 123456


async def test_the_guard_keeps_tests_away_from_the_real_telegram() -> None:
    with no_internet() as attempted, pytest.raises(NetworkError, match="stay offline"):
        async with Bot(TOKEN):  # the default base_url is the real api.telegram.org
            pass
    assert attempted == ["api.telegram.org"]


async def test_updates_arrive_by_long_polling(bot: Bot, client: SandboxClient, ann: SandboxUser) -> None:
    await client.send_text(ann, "hello")
    await client.send_command(ann, "start", "ref42")
    updates = await bot.get_updates(timeout=5)
    assert [u.message.text for u in updates if u.message] == ["hello", "/start ref42"]
    assert updates[1].message is not None and updates[1].message.entities[0].type == "bot_command"
    confirmed = await bot.get_updates(offset=updates[-1].update_id + 1, timeout=0)
    assert confirmed == ()
