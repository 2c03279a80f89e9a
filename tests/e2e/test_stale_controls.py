"""Buttons of a finished step stop acting, and cards show the case as it is now, over the Telegram sandbox."""

from __future__ import annotations

import pytest

from sandbox.client import SandboxClient
from sandbox.views import ChatMessage, SandboxUser
from tests.e2e.conftest import RunningBot
from tests.e2e.test_officer_flow import card, flush, reported, resolve_with_photo, staffed_city
from tests.e2e.test_report_bad_input import drafts, photo_and_category
from tests.e2e.test_report_flow import INSIDE, jpeg, seed_city


@pytest.fixture
async def li(bot: RunningBot, client: SandboxClient) -> SandboxUser:
    """A Chinese-speaking citizen in a city with one grid."""
    await seed_city(bot)
    return await client.create_user(first_name="李雷", language_code="zh-hans")


async def as_shown_now(client: SandboxClient, chat_id: int, message_id: int) -> ChatMessage:
    """The bot's message ``message_id`` as it reads now (after any edits)."""
    return next(m for m in await client.bot_messages(chat_id) if m.message_id == message_id)


async def test_an_old_category_keyboard_does_not_change_the_category(
    bot: RunningBot, client: SandboxClient, li: SandboxUser
) -> None:
    await client.send_photo(li, jpeg())
    old_picker = await client.wait_for_message(li.chat_id, lambda m: bool(m.buttons))
    await client.send_command(li, "/report")  # the question again, with a new keyboard
    picker = await client.wait_for_message(li.chat_id, lambda m: bool(m.buttons))
    await client.press(li, picker, "暴露垃圾")
    await client.wait_for_message(li.chat_id, "问题在哪里？")
    said = len(await client.bot_messages(li.chat_id))
    assert (await as_shown_now(client, li.chat_id, old_picker.message_id)).buttons  # the first keyboard is still shown
    answer = await client.wait_for_answer(await client.press(li, old_picker, "其他"))
    assert answer.show_alert and answer.text == "这条上报已进入下一步，问题类别已经选定。"
    await client.send_location(li, *INSIDE)
    await client.wait_for_message(li.chat_id, "📍 位置已记录")
    [draft] = await drafts(bot)
    assert draft.category == "0102"
    category_lines = [
        line
        for m in (await client.bot_messages(li.chat_id))[said:]
        for line in m.text.splitlines()
        if "问题类别" in line
    ]
    assert category_lines == []  # no second "问题类别" line


async def test_skip_after_cancel_says_there_is_no_report(
    bot: RunningBot, client: SandboxClient, li: SandboxUser
) -> None:
    await photo_and_category(client, li, "暴露垃圾")
    await client.send_location(li, *INSIDE)
    question = await client.wait_for_message(li.chat_id, "可以给网格员留一句简短说明")
    await client.send_command(li, "/cancel")
    await client.wait_for_message(li.chat_id, "已取消")
    answer = await client.wait_for_answer(await client.press(li, question, "跳过"))
    assert answer.show_alert
    assert answer.text == "当前没有正在进行的上报。发送照片或 /report 开始上报；/my 可查看已提交的上报。"
    assert await drafts(bot) == []


async def test_the_officers_card_says_the_case_is_closed_and_offers_nothing(
    bot: RunningBot, client: SandboxClient
) -> None:
    city = await staffed_city(bot, client)
    case_id = await reported(bot, client, city)
    first = await card(client, city.officer_b, case_id)
    theirs = await card(client, city.officer_a, case_id)
    assert first.text.startswith("New case for your grid.")
    await client.wait_for_answer(await client.press(city.officer_b, first, "Accept"))
    await resolve_with_photo(client, city.officer_b, case_id, "Posters scraped off")
    await flush(bot)
    question = await client.wait_for_message(city.reporter.chat_id, "Is the problem fixed?")
    await client.press(city.reporter, question, "Fixed")
    await client.wait_for_edit(city.reporter.chat_id, "is closed")
    await flush(bot)
    now = await as_shown_now(client, city.officer_b.chat_id, first.message_id)
    assert now.text.splitlines()[0] == "This case is closed (结案)."
    assert f"Case #{case_id}: Illegal small ads / posters" in now.text and now.buttons == []
    # A client that kept the old buttons gets told why nothing happens.
    answer = await client.wait_for_answer(
        await client.press(city.officer_b, first, f"case:resolve:{case_id}", forge=True)
    )
    assert answer.show_alert and answer.text == f"Case #{case_id} is closed and cannot be changed now."
    # The colleague's card still says who took the case, without buttons.
    colleague = await as_shown_now(client, city.officer_a.chat_id, theirs.message_id)
    assert colleague.text == f"案件 #{case_id} 已由Officer Brown接单。" and colleague.buttons == []
