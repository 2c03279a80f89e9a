"""Pacing under Telegram's flood limits: 1/s per private chat, 20/min per group, 30/s overall."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from channels.telegram.sender import TelegramSender
from services.config import OutboxConfig
from services.pacing import Pacer

#: Telegram's sender, for the gap it asks per chat (it needs nothing but the outbox settings for that).
TELEGRAM = TelegramSender(bot=None, services=SimpleNamespace(config=SimpleNamespace(outbox=OutboxConfig())))  # type: ignore[arg-type]


async def send(p: Pacer, chat: int | str) -> None:
    """Wait for a Telegram chat's turn, as the outbox sender does before each call."""
    address = str(chat)
    await p.wait(("telegram", address), TELEGRAM.interval(address))


class FakeTime:
    """A monotonic clock that only moves when the pacer sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(round(seconds, 6))
        self.now += seconds


@pytest.fixture
def time() -> FakeTime:
    return FakeTime()


def pacer(time: FakeTime) -> Pacer:
    return Pacer(OutboxConfig(), time.monotonic, time.sleep)


async def test_a_private_chat_gets_at_most_one_message_per_second(time: FakeTime) -> None:
    p = pacer(time)
    for _ in range(3):
        await send(p, 42)
    assert time.sleeps == [1.0, 1.0]


async def test_a_group_or_channel_gets_at_most_twenty_per_minute(time: FakeTime) -> None:
    p = pacer(time)
    for _ in range(3):
        await send(p, -100123)
    assert time.sleeps == [3.0, 3.0]


async def test_many_chats_share_thirty_messages_per_second(time: FakeTime) -> None:
    p = pacer(time)
    start = time.now
    for chat in range(1, 61):
        await send(p, chat)
    # 60 sends to 60 different chats take two seconds (the first goes at once).
    assert time.now - start == pytest.approx(59 / 30)


async def test_time_already_passed_is_not_slept_again(time: FakeTime) -> None:
    p = pacer(time)
    await send(p, 1)
    time.now += 5
    await send(p, 1)
    assert time.sleeps == []


async def test_a_chat_waiting_for_its_own_slot_does_not_hold_up_other_chats() -> None:
    import asyncio

    p = Pacer(OutboxConfig())  # real time: the order of sends is what is checked, not how long they took
    order: list[str] = []

    async def chat_a() -> None:
        for n in (1, 2):
            await send(p, 1)
            order.append(f"a{n}")

    async def chat_b() -> None:
        await asyncio.sleep(0.05)  # starts while chat A waits out its one-second gap
        await send(p, 2)
        order.append("b1")

    await asyncio.gather(chat_a(), chat_b())
    assert order == ["a1", "b1", "a2"]


async def test_a_chat_waiting_for_its_gap_lends_its_parallel_slot_to_other_chats() -> None:
    import asyncio

    from services.pacing import holding

    p = Pacer(OutboxConfig())
    slots = asyncio.Semaphore(1)  # one chat at a time may be served
    order: list[str] = []

    async def chat_a() -> None:
        async with holding(slots):  # one row of two messages: the second one second after the first
            for n in (1, 2):
                await send(p, 1)
                order.append(f"a{n}")

    async def chat_b() -> None:
        await asyncio.sleep(0.05)
        async with holding(slots):
            await send(p, 2)
            order.append("b1")

    await asyncio.gather(chat_a(), chat_b())
    assert order == ["a1", "b1", "a2"]
    assert not slots.locked()  # every slot lent out came back once
