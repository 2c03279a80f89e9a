"""The control API as the web chat page and tests use it: events, groups, several bots, mistakes explained."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiohttp
import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, Conflict

from sandbox import SandboxClient, SandboxError, SandboxServer, SandboxUser

TOKEN = "31337:control-test-token"
OTHER_TOKEN = "31338:second-bot-token"


@pytest.fixture
async def client(server: SandboxServer) -> AsyncIterator[SandboxClient]:
    async with SandboxClient(server.url, bot=TOKEN) as sandbox_client:
        await sandbox_client.register_bot(TOKEN, username="city_test_bot")
        yield sandbox_client


async def test_event_feed_long_polls_for_what_happens_next(server: SandboxServer, client: SandboxClient) -> None:
    ann = await client.create_user(id=7001, first_name="Ann")
    async with aiohttp.ClientSession() as http:
        start = await (await http.get(f"{server.url}/sandbox/api/events", params={"timeout": "0"})).json()
        after = start["result"]["last"]
        waiting = asyncio.create_task(
            http.get(f"{server.url}/sandbox/api/events", params={"after": str(after), "timeout": "10"})
        )
        await asyncio.sleep(0.05)
        assert not waiting.done()
        await client.send_text(ann, "is anyone there?")
        feed = await (await asyncio.wait_for(waiting, 5)).json()
    [event] = feed["result"]["events"]
    assert event["type"] == "message" and event["message"]["text"] == "is anyone there?"
    assert event["from_bot"] is False and feed["result"]["last"] == event["id"]


async def test_registered_bot_name_is_what_get_me_reports(bot: Bot, client: SandboxClient) -> None:
    assert (await bot.get_me()).username == "city_test_bot"


async def test_user_messages_in_a_group_reach_the_bot_with_the_group_chat(bot: Bot, client: SandboxClient) -> None:
    group = await client.create_channel("Grid 12 officers", id=-100500, type="supergroup")
    officer = await client.create_user(id=7002, first_name="Li")
    await client.send_text(officer, "/accept 12", chat_id=group["id"])
    [update] = await bot.get_updates(timeout=0)
    assert update.message is not None and update.message.chat.id == -100500
    assert update.message.from_user is not None and update.message.from_user.id == 7002
    await bot.send_message(-100500, "Case #12 accepted by Li")
    assert [m.text for m in await client.messages(-100500)] == ["/accept 12", "Case #12 accepted by Li"]


async def test_each_bot_has_its_own_updates_and_chats(server: SandboxServer, client: SandboxClient) -> None:
    ann = await client.create_user(id=7003, first_name="Ann")
    async with (
        Bot(TOKEN, base_url=server.base_url, base_file_url=server.base_file_url) as first,
        Bot(OTHER_TOKEN, base_url=server.base_url, base_file_url=server.base_file_url) as second,
        SandboxClient(server.url, bot=OTHER_TOKEN) as other_client,
    ):
        await client.send_text(ann, "to the first bot")
        await other_client.send_text(ann, "to the second bot")
        assert [u.message.text for u in await first.get_updates(timeout=0) if u.message] == ["to the first bot"]
        assert [u.message.text for u in await second.get_updates(timeout=0) if u.message] == ["to the second bot"]
        await second.send_message(ann.chat_id, "second bot here")
        assert [m.text for m in await other_client.messages(ann.chat_id)] == [
            "to the second bot",
            "second bot here",
        ]
        assert [m.text for m in await client.messages(ann.chat_id)] == ["to the first bot"]


async def test_a_second_poller_is_told_about_the_conflict(server: SandboxServer, bot: Bot) -> None:
    async with Bot(TOKEN, base_url=server.base_url, base_file_url=server.base_file_url) as twin:
        queue = server.state.bots[TOKEN].updates
        polls_before = queue.polls_started
        first = asyncio.create_task(bot.get_updates(timeout=10))
        for _ in range(500):  # until the server holds the first long poll
            if queue.polls_started > polls_before:
                break
            await asyncio.sleep(0.01)
        await twin.get_updates(timeout=0)
        with pytest.raises(Conflict, match="only one bot instance"):
            await asyncio.wait_for(first, 5)


async def test_allowed_updates_filters_what_the_bot_receives(bot: Bot, client: SandboxClient) -> None:
    ann = await client.create_user(id=7004, first_name="Ann")
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("OK", callback_data="ok")]])
    sent = await bot.send_message(ann.chat_id, "Confirm?", reply_markup=keyboard)
    await bot.get_updates(timeout=0, allowed_updates=["callback_query"])
    await client.send_text(ann, "ignored by the bot")
    await client.press(ann, sent.message_id, "OK")
    [update] = await bot.get_updates(timeout=0)
    assert update.callback_query is not None and update.callback_query.data == "ok"


async def test_mistakes_in_tests_are_explained(bot: Bot, client: SandboxClient) -> None:
    ann = await client.create_user(id=7005, first_name="Ann")
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Accept", callback_data="case:accept:1")]])
    sent = await bot.send_message(ann.chat_id, "New case", reply_markup=keyboard)
    with pytest.raises(SandboxError, match=r"no button 'Reject'.*Accept"):
        await client.press(ann, sent.message_id, "Reject")
    with pytest.raises(SandboxError, match="no user 999"):
        await client.send_text(SandboxUser(999, "Ghost"), "hi")
    assert [a.data for a in await client.callback_answers()] == []


async def test_a_forged_press_sends_data_the_message_never_offered(bot: Bot, client: SandboxClient) -> None:
    ann = await client.create_user(id=7008, first_name="Ann")
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Accept", callback_data="case:accept:1")]])
    sent = await bot.send_message(ann.chat_id, "New case", reply_markup=keyboard)
    await client.press(ann, sent.message_id, "case:close:2", forge=True)
    [update] = await bot.get_updates(timeout=0)
    assert update.callback_query is not None and update.callback_query.data == "case:close:2"


async def test_answering_a_button_twice_is_refused(bot: Bot, client: SandboxClient) -> None:
    ann = await client.create_user(id=7006, first_name="Ann")
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Accept", callback_data="case:accept:1")]])
    sent = await bot.send_message(ann.chat_id, "New case", reply_markup=keyboard)
    query_id = await client.press(ann, sent.message_id, "Accept")
    assert await bot.answer_callback_query(query_id, "Accepted")
    with pytest.raises(BadRequest, match="Query is too old"):
        await bot.answer_callback_query(query_id, "Accepted again")
    [answer] = await client.callback_answers(ann)
    assert answer.text == "Accepted" and answer.data == "case:accept:1"


async def test_reset_forgets_people_and_chats(bot: Bot, client: SandboxClient) -> None:
    ann = await client.create_user(id=7007, first_name="Ann")
    await bot.send_message(ann.chat_id, "hello")
    await client.reset()
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.send_message(ann.chat_id, "hello again")


async def test_get_chat_member_tells_the_creator_admins_and_members(bot: Bot, client: SandboxClient) -> None:
    owner = await client.create_user(first_name="Owner")
    helper = await client.create_user(first_name="Helper")
    member = await client.create_user(first_name="Member")
    group = await client.create_channel("Volunteers", id=-100600, type="supergroup", admins=[owner, helper])
    statuses = [(await bot.get_chat_member(group["id"], person.id)).status for person in (owner, helper, member)]
    assert statuses == ["creator", "administrator", "member"]
