"""Bad input in the report flow: each gets a clear answer in the user's language and loses nothing given."""

from __future__ import annotations

import io
import random
from datetime import timedelta

import pytest
from PIL import Image
from sqlalchemy import select

from channels.telegram import CHANNEL as TELEGRAM
from models.cases import ReportDraft
from models.outbox import OutboxMessage
from models.uow import UnitOfWork
from sandbox.client import SandboxClient
from sandbox.views import ChatMessage, SandboxUser
from scheduler.drafts import expire_once
from services.clock import ManualClock
from services.i18n import Translator
from services.messages import from_json, render_lines
from services.users import user_by_identity
from tests.e2e.conftest import RunningBot
from tests.e2e.test_report_flow import INSIDE, case_photos, cases, jpeg, report, seed_city


@pytest.fixture
async def anna(bot: RunningBot, client: SandboxClient) -> SandboxUser:
    """An English-speaking citizen in a city with one grid."""
    await seed_city(bot)
    return await client.create_user(first_name="Anna", language_code="en")


@pytest.fixture
async def li(bot: RunningBot, client: SandboxClient) -> SandboxUser:
    """A Chinese-speaking citizen in a city with one grid."""
    await seed_city(bot)
    return await client.create_user(first_name="李雷", language_code="zh-hans")


async def photo_and_category(client: SandboxClient, user: SandboxUser, category: str = "Other") -> ChatMessage:
    """Send a photo and choose the category; returns the location question."""
    await client.send_photo(user, jpeg())
    picker = await client.wait_for_message(user.chat_id, lambda m: bool(m.buttons))
    await client.press(user, picker, category)
    return await client.wait_for_message(user.chat_id, lambda m: bool(m.reply_keyboard))


async def drafts(bot: RunningBot) -> list[ReportDraft]:
    """Every draft in the database."""
    assert bot.services is not None
    async with UnitOfWork(bot.services.db) as uow:
        return list(await uow.session.scalars(select(ReportDraft)))


def noisy_jpeg(side: int = 600) -> bytes:
    """A JPEG that compresses badly, so it is large."""
    rng = random.Random(7)
    image = Image.frombytes("RGB", (side, side), bytes(rng.getrandbits(8) for _ in range(side * side * 3)))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=95)
    return out.getvalue()


async def test_text_where_a_photo_is_expected(bot: RunningBot, client: SandboxClient, anna: SandboxUser) -> None:
    await client.send_text(anna, "hello?")
    hint = await client.wait_for_message(anna.chat_id)
    assert hint.text.startswith("To report a problem, send me a photo of it (or /report).")
    await client.send_command(anna, "/report")
    await client.wait_for_message(anna.chat_id, "Send 1 to 5 photos")
    await client.send_text(anna, "There are posters on the wall")
    reply = await client.wait_for_message(anna.chat_id)
    assert reply.text == (
        "I need a photo of the problem first; text can't replace it.\n\n"
        "Send 1 to 5 photos of the problem: as photos, an album or image files."
    )
    await client.send_photo(anna, jpeg())
    assert "What kind of problem is it?" in (await client.wait_for_message(anna.chat_id)).text


async def test_text_where_a_button_is_expected_shows_the_buttons_again(
    bot: RunningBot, client: SandboxClient, li: SandboxUser
) -> None:
    await client.send_photo(li, jpeg())
    await client.wait_for_message(li.chat_id, "这属于哪类问题？")
    await client.send_text(li, "小广告")
    again = await client.wait_for_message(li.chat_id)
    assert again.text == "请点击按钮选择问题类别。\n\n这属于哪类问题？"
    assert "非法小广告（牛皮癣）" in again.button_texts


@pytest.mark.parametrize("kind", ["sticker", "voice", "video"])
async def test_stickers_voice_and_video_are_refused(
    bot: RunningBot, client: SandboxClient, li: SandboxUser, kind: str
) -> None:
    await getattr(client, f"send_{kind}")(li)
    alone = await client.wait_for_message(li.chat_id)
    assert alone.text == "无法处理贴纸、语音或视频。\n如需上报问题，请直接发送问题照片（或发送 /report）。"
    await client.send_photo(li, jpeg())
    await client.wait_for_message(li.chat_id, "这属于哪类问题？")
    await getattr(client, f"send_{kind}")(li)
    inside = await client.wait_for_message(li.chat_id)
    assert inside.text == "无法处理贴纸、语音或视频。\n\n这属于哪类问题？"
    assert inside.buttons  # the question is asked again, with its buttons
    [draft] = await drafts(bot)
    assert len(draft.photos) == 1  # the photo given before is kept


async def test_a_file_that_is_not_an_image_is_refused(
    bot: RunningBot, client: SandboxClient, anna: SandboxUser
) -> None:
    await client.send_document(anna, b"%PDF-1.4 complaint", "complaint.pdf", "application/pdf")
    refused = await client.wait_for_message(anna.chat_id)
    assert refused.text == "This file is not an image, so I can't use it. Please send a photo of the problem."
    assert await drafts(bot) == []


async def test_a_file_over_the_size_limit_is_refused(bot: RunningBot, client: SandboxClient, li: SandboxUser) -> None:
    assert bot.services is not None
    bot.services.config.reporting.max_file_mb = 0.1
    big = noisy_jpeg()
    assert len(big) > 0.1 * 1024 * 1024
    await client.send_photo(li, jpeg())
    await client.wait_for_message(li.chat_id, "这属于哪类问题？")
    await client.send_document(li, big, "IMG_big.jpg", "image/jpeg")
    refused = await client.wait_for_message(li.chat_id)
    size = f"{len(big) / 1024 / 1024:.1f}"
    assert refused.text == f"该文件大小为 {size} MB，超过了 0.1 MB 的上限。请发送小一些的照片。"
    await client.send_photo(li, big)
    assert (await client.wait_for_message(li.chat_id)).text == refused.text
    [draft] = await drafts(bot)
    assert len(draft.photos) == 1


async def test_ten_thousand_characters(bot: RunningBot, client: SandboxClient, anna: SandboxUser) -> None:
    wall = "x" * 10_000
    await photo_and_category(client, anna)
    await client.send_text(anna, wall)  # as an address: refused
    refused = await client.wait_for_message(anna.chat_id)
    assert refused.text == "That is too long for an address (at most 200 characters). Please type a shorter one."
    await client.send_location(anna, *INSIDE)
    await client.wait_for_message(anna.chat_id, "Add a short note")
    await client.send_text(anna, wall)  # as a note: kept, cut to the limit, and the user is told
    summary = await client.wait_for_message(anna.chat_id, "Please check")
    assert summary.text.startswith("Your note was longer than 500 characters; I kept the first 500.")
    await client.press(anna, summary, "Submit")
    await client.wait_for_edit(anna.chat_id, "Report #1")
    [case] = await cases(bot)
    assert case.note == "x" * 500


@pytest.mark.parametrize("where", [(0.0, 0.0), (95.0, 116.4), (39.9, 200.0)])
async def test_impossible_locations_are_refused(
    bot: RunningBot, client: SandboxClient, li: SandboxUser, where: tuple[float, float]
) -> None:
    await photo_and_category(client, li, "暴露垃圾")
    await client.send_location(li, *where)
    refused = await client.wait_for_message(li.chat_id)
    assert refused.text.startswith("这个位置不正确（坐标为 0,0")
    assert "问题在哪里？" in refused.text
    [draft] = await drafts(bot)
    assert (draft.category, draft.lat, len(draft.photos)) == ("0102", None, 1)
    await client.send_location(li, *INSIDE)
    await client.wait_for_message(li.chat_id, "📍 位置已记录")


async def test_a_bad_location_outside_a_draft_starts_nothing(
    bot: RunningBot, client: SandboxClient, anna: SandboxUser
) -> None:
    await client.send_location(anna, 0.0, 0.0)
    refused = await client.wait_for_message(anna.chat_id)
    assert refused.text.startswith("This location can't be right")
    assert await drafts(bot) == []


async def test_an_old_keyboard_of_a_finished_draft(bot: RunningBot, client: SandboxClient, anna: SandboxUser) -> None:
    await photo_and_category(client, anna)
    await client.send_location(anna, *INSIDE)
    old_question = await client.wait_for_message(anna.chat_id, "Add a short note")
    await client.send_text(anna, "typed instead of pressing Skip")
    summary = await client.wait_for_message(anna.chat_id, "Please check")
    await client.press(anna, summary, "Submit")
    await client.wait_for_edit(anna.chat_id, "Report #1")
    await client.send_photo(anna, jpeg())  # a new draft
    await client.wait_for_message(anna.chat_id, "What kind of problem is it?")
    answer = await client.wait_for_answer(await client.press(anna, old_question, "Skip"))
    assert answer.show_alert
    assert answer.text == "This button belongs to an earlier report. Please use the buttons of your current one."
    [draft] = await drafts(bot)
    assert draft.note is None and draft.category is None  # the new draft was not touched


async def test_submit_pressed_twice_makes_one_case(bot: RunningBot, client: SandboxClient, li: SandboxUser) -> None:
    await photo_and_category(client, li, "暴露垃圾")
    await client.send_location(li, *INSIDE)
    question = await client.wait_for_message(li.chat_id, "可以给网格员留一句简短说明")
    await client.press(li, question, "跳过")
    summary = await client.wait_for_message(li.chat_id, "请核对")
    # Slow the edit that removes the buttons, so a second tap lands while they are still shown.
    await client.set_faults(delays={"editMessageText": 1.0})
    first = await client.wait_for_answer(await client.press(li, summary, "✅ 提交"))
    second = await client.wait_for_answer(await client.press(li, summary, "✅ 提交"), timeout=10)
    await client.clear_faults()
    assert not first.show_alert
    assert second.show_alert and second.text == "这条上报已经提交或已过期。发送 /my 查看您的上报。"
    assert len(await cases(bot)) == 1


async def test_a_kill_mid_draft_loses_nothing(bot: RunningBot, client: SandboxClient, anna: SandboxUser) -> None:
    await client.send_album(anna, [jpeg(), jpeg()])
    picker = await client.wait_for_message(anna.chat_id, "What kind of problem is it?", timeout=10)
    await client.press(anna, picker, "Exposed litter")
    await client.wait_for_message(anna.chat_id, "Where is it?")
    dead = bot.app
    await bot.kill()
    try:
        await client.send_location(anna, *INSIDE)  # arrives while the bot is down
        await bot.restart()
        question = await client.wait_for_message(anna.chat_id, "Add a short note", timeout=10)
        await client.press(anna, question, "Skip")
        summary = await client.wait_for_message(anna.chat_id, "Please check")
        assert "Category: Exposed litter" in summary.text and "Photos: 2" in summary.text
        await client.press(anna, summary, "Submit")
        await client.wait_for_edit(anna.chat_id, "Report #1")
        assert len(await case_photos(bot, 1)) == 2
    finally:
        await dead.shutdown()  # the sockets the operating system would close after a real kill -9


async def test_cancel_leaves_the_flow(bot: RunningBot, client: SandboxClient, anna: SandboxUser) -> None:
    await client.send_command(anna, "/cancel")
    assert (await client.wait_for_message(anna.chat_id)).text == "There is nothing to cancel."
    await photo_and_category(client, anna)
    assert await client.reply_keyboard(anna) != []
    await client.send_command(anna, "/cancel")
    done = await client.wait_for_message(anna.chat_id)
    assert done.text.startswith("Cancelled. Nothing was sent.")
    assert await client.reply_keyboard(anna) == [] and await drafts(bot) == []
    assert bot.services is not None
    assert list((bot.services.data_dir / "photos").rglob("*.jpg")) == []  # the copy of an unsent photo is gone


async def test_skip_only_skips_the_note(bot: RunningBot, client: SandboxClient, anna: SandboxUser) -> None:
    await client.send_command(anna, "/skip")
    assert (await client.wait_for_message(anna.chat_id)).text.startswith("There is nothing to skip.")
    await photo_and_category(client, anna)
    await client.send_command(anna, "/skip")
    assert (await client.wait_for_message(anna.chat_id)).text.startswith("Only the note can be skipped.")
    await client.send_location(anna, *INSIDE)
    await client.wait_for_message(anna.chat_id, "Add a short note")
    await client.send_command(anna, "/skip")
    summary = await client.wait_for_message(anna.chat_id, "Please check")
    assert "Note: (none)" in summary.text


async def test_a_banned_user_is_told_nothing_is_accepted(
    bot: RunningBot, client: SandboxClient, li: SandboxUser
) -> None:
    await client.send_command(li, "/start")
    await client.wait_for_message(li.chat_id)
    assert bot.services is not None
    async with UnitOfWork(bot.services.db) as uow:
        banned_user = await user_by_identity(uow.session, TELEGRAM, li.id)
        assert banned_user is not None
        banned_user.banned = True
        await uow.commit()
    banned = "您的账号已被限制上报，发送的任何内容都不会被受理。"
    await client.send_photo(li, jpeg())
    assert (await client.wait_for_message(li.chat_id)).text == banned
    await client.send_location(li, *INSIDE)
    assert (await client.wait_for_message(li.chat_id)).text == banned
    await client.send_command(li, "/report")
    assert (await client.wait_for_message(li.chat_id)).text == banned
    assert await drafts(bot) == []


async def test_the_hourly_limit_says_when_to_come_back(
    bot: RunningBot, client: SandboxClient, anna: SandboxUser, clock: ManualClock
) -> None:
    assert bot.services is not None
    bot.services.config.reporting.reports_per_hour = 2
    await report(client, anna, category="Other")
    clock.advance(timedelta(minutes=20))
    await report(client, anna, category="Exposed litter", where=(39.915, 116.405))
    await client.send_photo(anna, jpeg())
    limited = await client.wait_for_message(anna.chat_id)
    assert limited.text == "You have reached the limit of 2 reports per hour. You can report again at 11:00."
    clock.advance(timedelta(minutes=41))
    await client.send_photo(anna, jpeg())
    assert "What kind of problem is it?" in (await client.wait_for_message(anna.chat_id)).text


async def test_an_idle_draft_expires_with_a_notice(
    bot: RunningBot, client: SandboxClient, li: SandboxUser, clock: ManualClock
) -> None:
    await photo_and_category(client, li, "暴露垃圾")
    await client.send_location(li, *INSIDE)
    question = await client.wait_for_message(li.chat_id, "可以给网格员留一句简短说明")
    assert bot.services is not None
    clock.advance(timedelta(minutes=59))
    assert (await expire_once(bot.services)).count == 0
    clock.advance(timedelta(minutes=2))
    assert (await expire_once(bot.services)).count == 1
    assert await drafts(bot) == []
    async with UnitOfWork(bot.services.db) as uow:
        [notice] = list(await uow.session.scalars(select(OutboxMessage)))
    assert notice.address == str(li.chat_id) and notice.kind == "draft_expired"
    message = from_json(notice.payload)
    assert "您未完成的上报已超过 60 分钟无操作，已自动失效" in render_lines(
        bot.services, message.lines, Translator("zh_CN")
    )
    assert message.end_location  # the location button goes away with the draft
    assert list((bot.services.data_dir / "photos").rglob("*.jpg")) == []
    answer = await client.wait_for_answer(await client.press(li, question, "跳过"))
    assert (
        answer.show_alert
        and answer.text == "当前没有正在进行的上报。发送照片或 /report 开始上报；/my 可查看已提交的上报。"
    )
