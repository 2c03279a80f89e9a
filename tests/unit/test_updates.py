"""The per-chat update processor proposed for the bot: chats run side by side, each chat strictly in order."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from telegram import Chat, Message, Update

from bot.updates import PerChatUpdateProcessor


def update(update_id: int, chat_id: int) -> Update:
    """A text message update in a private chat."""
    chat = Chat(id=chat_id, type="private")
    return Update(update_id, message=Message(update_id, datetime(2026, 11, 16, tzinfo=UTC), chat, text="hi"))


async def test_one_chat_waits_its_turn_while_other_chats_go_ahead() -> None:
    processor = PerChatUpdateProcessor(8)
    log: list[str] = []
    slow_first = asyncio.Event()

    async def handle(name: str, gate: asyncio.Event | None = None) -> None:
        log.append(f"start {name}")
        if gate is not None:
            await gate.wait()
        log.append(f"end {name}")

    arrivals = [
        (update(1, 100), handle("a1", slow_first)),
        (update(2, 100), handle("a2")),
        (update(3, 200), handle("b1")),
    ]
    tasks = [asyncio.create_task(processor.process_update(u, c)) for u, c in arrivals]
    await asyncio.wait_for(tasks[2], 5)
    assert log == ["start a1", "start b1", "end b1"]  # b1 did not wait for chat 100; a2 did
    slow_first.set()
    await asyncio.gather(*tasks)
    assert log[3:] == ["end a1", "start a2", "end a2"]


async def test_many_updates_of_one_chat_keep_their_order() -> None:
    processor = PerChatUpdateProcessor(4)
    seen: list[int] = []

    async def handle(n: int) -> None:
        for _ in range(3 - n % 3):  # earlier updates take longer: running them side by side would reorder them
            await asyncio.sleep(0)
        seen.append(n)

    await asyncio.gather(*(processor.process_update(update(n, 7), handle(n)) for n in range(50)))
    assert seen == list(range(50))


async def test_a_flood_from_one_chat_holds_no_slot_another_chat_needs() -> None:
    processor = PerChatUpdateProcessor(2)
    gate = asyncio.Event()  # the flood's first update blocks until the end of the test
    log: list[str] = []

    async def flood(n: int) -> None:
        log.append(f"flood {n}")
        if n == 0:
            await gate.wait()

    async def other() -> None:
        log.append("other chat answered")

    tasks = [asyncio.create_task(processor.process_update(update(n, 100), flood(n))) for n in range(400)]
    tasks.append(asyncio.create_task(processor.process_update(update(400, 200), other())))
    for _ in range(20):  # a few turns of the loop, no wall-clock: the other chat must not need more
        await asyncio.sleep(0)

    assert log == ["flood 0", "other chat answered"]  # the flood's 399 waiting updates hold no slot
    assert processor.running == 1  # only the flood's head runs
    gate.set()
    await asyncio.gather(*tasks)
    assert log[2:] == [f"flood {n}" for n in range(1, 400)]
    assert processor.running == 0
