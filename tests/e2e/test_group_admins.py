"""Only a group's admins change its weekly report; the Telegram adapter asks the group who its admins are."""

from __future__ import annotations

from sandbox.client import SandboxClient
from tests.e2e.conftest import RunningBot
from tests.e2e.test_subscribe_flow import add_units, subscription

REFUSED = "Only the group's admins can change its weekly report."


async def test_only_group_admins_subscribe_and_unsubscribe(bot: RunningBot, client: SandboxClient) -> None:
    await add_units(bot)
    owner = await client.create_user(first_name="Owner", language_code="en")
    helper = await client.create_user(first_name="Helper", language_code="en")
    member = await client.create_user(first_name="Member", language_code="en")
    group = await client.create_channel("Street volunteers", id=-100777, type="supergroup", admins=[owner, helper])
    chat = group["id"]

    await client.send_text(member, "/subscribe city", chat_id=chat)
    assert (await client.wait_for_message(chat, "admins")).text == REFUSED
    assert await subscription(bot, chat) is None

    await client.send_text(helper, "/subscribe", chat_id=chat)  # an administrator, not the creator
    picker = await client.wait_for_message(chat, "Which area")
    query = await client.press(member, picker, "Whole city")  # a member presses the admin's choices
    assert (await client.wait_for_answer(query)).text == REFUSED
    assert await subscription(bot, chat) is None
    await client.press(helper, picker, "Whole city")
    await client.wait_for_edit(chat, "Subscribed")
    row = await subscription(bot, chat)
    assert row is not None and row.active

    await client.send_text(member, "/unsubscribe", chat_id=chat)
    assert (await client.wait_for_message(chat, "admins")).text == REFUSED
    row = await subscription(bot, chat)
    assert row is not None and row.active
    await client.send_text(owner, "/unsubscribe", chat_id=chat)
    await client.wait_for_message(chat, "no longer receive")
    row = await subscription(bot, chat)
    assert row is not None and not row.active


async def test_anyone_decides_for_their_own_chat(bot: RunningBot, client: SandboxClient) -> None:
    await add_units(bot)
    anna = await client.create_user(first_name="Anna", language_code="en")
    await client.send_command(anna, "/subscribe", "city")
    await client.wait_for_message(anna.chat_id, "Subscribed")
    assert await subscription(bot, anna.chat_id) is not None
