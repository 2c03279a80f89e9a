"""/subscribe, /unsubscribe and /leaderboard through the sandbox, as a citizen uses them."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from channels.telegram import CHANNEL as TELEGRAM
from models.broadcast import Subscription
from models.grid import UnitLevel
from sandbox.client import SandboxClient
from services.users import user_by_identity
from tests.e2e.conftest import RunningBot
from tests.world import build

LONG_ID = "110101-dongcheng-district-donghuamen-street-office-unit-0001"  # too long for sub:s:<id>


async def add_units(bot: RunningBot, extra_streets: int = 0) -> None:
    """District D1 with streets S1 (two communities), S2, and ``extra_streets`` more."""
    assert bot.services is not None
    now = datetime(2026, 11, 1, tzinfo=UTC)
    units = [
        ("D1", "东城区", UnitLevel.DISTRICT, None),
        (LONG_ID, "东华门街道", UnitLevel.STREET, "D1"),
        ("S2", "景山街道", UnitLevel.STREET, "D1"),
        ("C1", "多福巷社区", UnitLevel.COMMUNITY, LONG_ID),
        ("C2", "韶九社区", UnitLevel.COMMUNITY, LONG_ID),
        ("G1", "网格 1", UnitLevel.GRID, "C1"),
    ]
    units += [(f"X{i:02d}", f"街道 {i:02d}", UnitLevel.STREET, "D1") for i in range(extra_streets)]
    async with build(bot.services, now) as city:
        await city.units(units)


async def subscription(bot: RunningBot, chat_id: int) -> Subscription | None:
    assert bot.services is not None
    async with bot.services.db.sessions() as session:
        return await session.scalar(
            select(Subscription).where(Subscription.channel == TELEGRAM, Subscription.address == str(chat_id))
        )


async def test_a_citizen_picks_a_community_from_the_buttons(bot: RunningBot, client: SandboxClient) -> None:
    await add_units(bot)
    user = await client.create_user(first_name="李雷", language_code="zh-hans")
    await client.send_command(user, "/subscribe")
    picker = await client.wait_for_message(user.chat_id)
    assert picker.text == "您想订阅哪个区域的周通报？"
    assert picker.button_texts == ["全市", "东华门街道", "景山街道"]
    await client.press(user, picker, "东华门街道")
    street = await client.wait_for_edit(user.chat_id)
    assert street.button_texts == ["东华门街道（整个街道）", "多福巷社区", "韶九社区", "« 返回"]
    await client.press(user, street, "多福巷社区")
    done = await client.wait_for_edit(user.chat_id, "订阅成功")
    assert done.text == "订阅成功：您将收到多福巷社区的周通报。发送 /unsubscribe 可退订。"
    row = await subscription(bot, user.chat_id)
    assert row is not None and row.active and row.unit_id == "C1" and row.user_id is not None


async def test_a_whole_street_with_a_long_id_can_be_chosen(bot: RunningBot, client: SandboxClient) -> None:
    await add_units(bot)
    user = await client.create_user(first_name="Anna", language_code="en")
    await client.send_command(user, "/subscribe")
    picker = await client.wait_for_message(user.chat_id)
    await client.press(user, picker, "东华门街道")
    street = await client.wait_for_edit(user.chat_id)
    assert all(len((b.callback_data or "").encode()) <= 64 for row in street.buttons for b in row)
    await client.press(user, street, "All of 东华门街道")
    await client.wait_for_edit(user.chat_id, "Subscribed: you will receive the weekly report for 东华门街道.")
    row = await subscription(bot, user.chat_id)
    assert row is not None and row.unit_id == LONG_ID


async def test_many_streets_are_shown_a_page_at_a_time(bot: RunningBot, client: SandboxClient) -> None:
    await add_units(bot, extra_streets=25)
    user = await client.create_user(first_name="Anna", language_code="en")
    await client.send_command(user, "/subscribe")
    picker = await client.wait_for_message(user.chat_id)
    assert "»" in picker.button_texts and "街道 24" not in picker.button_texts
    await client.press(user, picker, "»")
    second = await client.wait_for_edit(user.chat_id)
    assert "街道 24" in second.button_texts and "«" in second.button_texts


async def test_subscribe_by_name_then_unsubscribe(bot: RunningBot, client: SandboxClient) -> None:
    await add_units(bot)
    user = await client.create_user(first_name="Anna", language_code="en")
    await client.send_command(user, "/subscribe", "city")
    reply = await client.wait_for_message(user.chat_id)
    assert (
        reply.text == "Subscribed: you will receive the weekly report for the whole city. Send /unsubscribe to stop it."
    )
    await client.send_command(user, "/subscribe", "景山街道")
    await client.wait_for_message(user.chat_id, "for 景山街道.")
    await client.send_command(user, "/subscribe", "Atlantis")
    unknown = await client.wait_for_message(user.chat_id)
    assert unknown.text.startswith("I don't know the area “Atlantis”.")
    await client.send_command(user, "/unsubscribe")
    assert (await client.wait_for_message(user.chat_id)).text == "You will no longer receive the weekly report."
    row = await subscription(bot, user.chat_id)
    assert row is not None and not row.active and row.unit_id == "S2"
    await client.send_command(user, "/unsubscribe")
    again = await client.wait_for_message(user.chat_id)
    assert again.text == "This chat is not subscribed to the weekly report. Send /subscribe to get it."


async def test_a_forged_area_button_is_refused(bot: RunningBot, client: SandboxClient) -> None:
    await add_units(bot)
    user = await client.create_user(first_name="Anna", language_code="en")
    await client.send_command(user, "/subscribe")
    picker = await client.wait_for_message(user.chat_id)
    for forged in ("sub:u:G1", "sub:u:D1", "sub:s:#0123456789abcdef", "sub:p:x"):
        answer = await client.wait_for_answer(await client.press(user, picker, forged, forge=True))
        assert answer.show_alert and answer.text == "This button is no longer valid.", forged
    assert await subscription(bot, user.chat_id) is None


async def test_leaderboard_on_and_off(bot: RunningBot, client: SandboxClient) -> None:
    user = await client.create_user(first_name="Anna", language_code="en")
    await client.send_command(user, "/leaderboard", "on")
    joined = await client.wait_for_message(user.chat_id)
    assert joined.text.startswith("You are on the volunteer leaderboard as “Volunteer ")
    assert "Anna" not in joined.text
    await client.send_command(user, "/leaderboard")
    assert (await client.wait_for_message(user.chat_id)).text == joined.text  # same pseudonym every time
    assert bot.services is not None
    async with bot.services.db.sessions() as session:
        stored = await user_by_identity(session, TELEGRAM, user.id)
        assert stored is not None and stored.leaderboard_opt_in
    await client.send_command(user, "/leaderboard", "off")
    left = await client.wait_for_message(user.chat_id)
    assert left.text.startswith("You are not on the volunteer leaderboard.")
