"""Flood limits and injected faults as a real PTB Bot meets them."""

from __future__ import annotations

import datetime as dtm

import pytest
from telegram import Bot
from telegram.error import NetworkError, RetryAfter

from sandbox import SandboxClient, SandboxUser

TOKEN = "777:fault-test-token"


@pytest.fixture(autouse=True)
def timedelta_periods(monkeypatch: pytest.MonkeyPatch) -> None:
    """PTB 22 warns on every RetryAfter unless durations are timedeltas, and warnings are errors here."""
    monkeypatch.setenv("PTB_TIMEDELTA", "1")


@pytest.fixture
async def ann(client: SandboxClient) -> SandboxUser:
    return await client.create_user(id=5001, first_name="Ann")


async def test_flooding_a_chat_raises_retry_after_and_delivers_only_what_was_allowed(
    bot: Bot, client: SandboxClient, ann: SandboxUser
) -> None:
    await client.set_rate_limits(enabled=True, private_burst=3)
    delivered = 0
    with pytest.raises(RetryAfter) as flood:
        for n in range(10):
            await bot.send_message(ann.chat_id, f"reminder {n}")
            delivered += 1
    assert flood.value.retry_after == dtm.timedelta(seconds=1)
    assert delivered == 3
    assert [m.text for m in await client.messages(ann.chat_id)] == ["reminder 0", "reminder 1", "reminder 2"]


async def test_rate_limits_are_off_unless_asked_for(bot: Bot, client: SandboxClient, ann: SandboxUser) -> None:
    for n in range(10):
        await bot.send_message(ann.chat_id, f"reminder {n}")
    assert len(await client.messages(ann.chat_id)) == 10


async def test_rate_limits_cover_sending_only(bot: Bot, client: SandboxClient, ann: SandboxUser) -> None:
    await client.set_rate_limits(enabled=True, private_burst=1)
    sent = await bot.send_message(ann.chat_id, "Case #3 dispatched")
    for status in ("accepted", "in progress", "resolved"):
        await bot.edit_message_text(f"Case #3 {status}", chat_id=ann.chat_id, message_id=sent.message_id)
    assert [m.text for m in await client.messages(ann.chat_id)] == ["Case #3 resolved"]


async def test_scripted_server_error_delivers_nothing_so_a_retry_is_not_a_duplicate(
    bot: Bot, client: SandboxClient, ann: SandboxUser
) -> None:
    await client.script_faults("sendMessage", status=500)
    with pytest.raises(NetworkError):
        await bot.send_message(ann.chat_id, "Case #9 is overdue")
    assert await client.messages(ann.chat_id) == []
    await bot.send_message(ann.chat_id, "Case #9 is overdue")
    assert [m.text for m in await client.messages(ann.chat_id)] == ["Case #9 is overdue"]


async def test_lost_response_delivers_the_message_although_the_bot_sees_an_error(
    bot: Bot, client: SandboxClient, ann: SandboxUser
) -> None:
    await client.script_faults("sendMessage", status=502, delivered=True)
    with pytest.raises(NetworkError):
        await bot.send_message(ann.chat_id, "Weekly report")
    assert [m.text for m in await client.messages(ann.chat_id)] == ["Weekly report"]


async def test_scripted_flood_error_carries_retry_after(bot: Bot, client: SandboxClient, ann: SandboxUser) -> None:
    await client.script_faults("sendPhoto", status=429, retry_after=7, count=2)
    for _ in range(2):
        with pytest.raises(RetryAfter) as flood:
            await bot.send_photo(ann.chat_id, "unused-file-id")
        assert flood.value.retry_after == dtm.timedelta(seconds=7)
    await bot.send_message(ann.chat_id, "messages are not affected")
    assert len(await client.messages(ann.chat_id)) == 1


async def test_random_faults_hit_sends_but_not_polling(bot: Bot, client: SandboxClient, ann: SandboxUser) -> None:
    await client.set_faults(rate=1.0, statuses=[502])
    with pytest.raises(NetworkError):
        await bot.send_message(ann.chat_id, "hello")
    assert await bot.get_updates(timeout=0) == ()
    await client.clear_faults()
    await bot.send_message(ann.chat_id, "hello")
    assert len(await client.messages(ann.chat_id)) == 1


async def test_seeded_fault_rate_is_repeatable(bot: Bot, client: SandboxClient, ann: SandboxUser) -> None:
    async def failures() -> list[int]:
        await client.set_faults(rate=0.3, seed=11)
        failed = []
        for n in range(20):
            try:
                await bot.send_message(ann.chat_id, f"n{n}")
            except NetworkError:
                failed.append(n)
        return failed

    first, second = await failures(), await failures()
    assert first == second and 0 < len(first) < 20
    assert len(await client.messages(ann.chat_id)) == 40 - 2 * len(first)
