"""A person sending faster than the configured rate: one answer in their language, then silence for a minute."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from sandbox.client import SandboxClient
from sandbox.server import SandboxServer
from services.clock import ManualClock
from services.inbound_limit import InboundLimiter
from tests.e2e.conftest import TOKEN, RunningBot


async def _until(condition: Callable[[], bool]) -> None:
    for _ in range(500):
        if condition():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the bot did not get there")


class Ticks:
    """The limiter's monotonic clock, moved by the test."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def ticks() -> Ticks:
    return Ticks()


@pytest.fixture
async def limited_bot(
    sandbox: SandboxServer, client: SandboxClient, tmp_path: Path, clock: ManualClock, ticks: Ticks
) -> AsyncIterator[RunningBot]:
    """The real bot allowing 3 messages a minute per person."""
    running = await RunningBot(sandbox, tmp_path, clock, jobs=False, limiter=InboundLimiter(3, now=ticks)).start()
    try:
        yield running
    finally:
        await running.stop()


async def test_over_the_limit_one_answer_in_chinese_then_nothing_until_the_minute_passes(
    limited_bot: RunningBot, client: SandboxClient, ticks: Ticks
) -> None:
    user = await client.create_user(first_name="李雷", language_code="zh-hans")
    for n in range(6):
        await client.send_command(user, "/help")
        if n < 3:
            await client.wait_for_message(user.chat_id, lambda m, n=n: m.text.startswith("可用命令"), timeout=15)
    warning = await client.wait_for_message(user.chat_id, "太频繁", timeout=15)
    assert warning.text == "您发送得太频繁了（每分钟超过 3 条）。接下来一分钟内您发送的内容将被忽略，之后可以继续。"

    await _until(lambda: limited_bot.limiter.dropped == 2)  # the 5th and 6th reached the check
    ticks.now += 61  # the quiet minute is over
    await client.send_command(user, "/start")
    await client.wait_for_message(user.chat_id, "您好", timeout=15)
    answers = [m.text.split("\n")[0][:2] for m in await client.bot_messages(user.chat_id)]
    assert answers == ["可用", "可用", "可用", "您发", "李雷"]


async def test_a_flooding_person_does_not_silence_anyone_else(
    limited_bot: RunningBot, client: SandboxClient, ticks: Ticks
) -> None:
    flood = await client.create_user(first_name="Flood", language_code="en")
    anna = await client.create_user(first_name="Anna", language_code="en")
    for _ in range(10):
        await client.send_text(flood, "spam")
    await client.wait_for_message(flood.chat_id, "You are sending too much at once", timeout=15)
    await client.send_command(anna, "/start")
    reply = await client.wait_for_message(anna.chat_id, timeout=15)
    assert reply.text.startswith("Hello Anna!")


async def test_a_live_location_moving_for_a_while_does_not_count(
    limited_bot: RunningBot, client: SandboxClient, ticks: Ticks
) -> None:
    anna = await client.create_user(first_name="Anna", language_code="en")
    live = await client.send_location(anna, 39.91, 116.40, live_period=900)
    await client.wait_for_message(anna.chat_id, timeout=15)  # the one answer to the location itself
    for step in range(20):  # the app moves the pin every few seconds; Anna does nothing
        await client.move_live_location(anna, live, 39.91 + step * 1e-5, 116.40)
    await client.send_command(anna, "/help")
    await client.send_command(anna, "/start")
    await client.wait_for_message(anna.chat_id, "Hello Anna", timeout=15)
    texts = [m.text for m in await client.bot_messages(anna.chat_id)]
    assert not any("too much" in text for text in texts)
    assert limited_bot.limiter.dropped == 0


async def test_a_backlog_from_a_person_in_their_quiet_minute_is_dropped_unread_and_counted_once(
    limited_bot: RunningBot, client: SandboxClient, sandbox: SandboxServer, ticks: Ticks
) -> None:
    flood = await client.create_user(first_name="Flood", language_code="en")
    for _ in range(4):
        await client.send_command(flood, "/help")
    await client.wait_for_message(flood.chat_id, "You are sending too much at once", timeout=15)
    queue = sandbox.state.pick_bot(TOKEN).updates
    await _until(lambda: not queue.pending)  # the four were read and confirmed
    await limited_bot.stop()
    for n in range(30):  # while the bot is away, 30 more wait for it: it reads them in one batch
        await client.send_text(flood, f"spam {n}")
    await limited_bot.restart()
    await _until(lambda: not queue.pending and limited_bot.limiter.dropped == 30)
    gate = limited_bot.app.update_processor.gate
    assert gate.unread == 29  # all but the batch's last (which moves the offset on), dropped before decoding
    ticks.now += 61
    await client.send_command(flood, "/start")
    await client.wait_for_message(flood.chat_id, "Hello Flood", timeout=15)
    answers = [m.text.split("\n")[0][:12] for m in await client.bot_messages(flood.chat_id)]
    assert answers == ["Commands:"] * 3 + ["You are send", "Hello Flood!"]
    assert limited_bot.limiter.dropped == 30  # none of them came back
