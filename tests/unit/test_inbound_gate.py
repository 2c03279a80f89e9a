"""The rate limit where updates arrive: over the limit is dropped at once (never queued behind its chat), the first
over it is answered in the chat's turn, and a polled batch loses a quiet sender's updates before decoding."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from typing import Any

from telegram import Chat, Message, Update, User

from bot.updates import InboundGate, PerChatUpdateProcessor
from channels.telegram.request import UpdatesRequest
from services.inbound_limit import InboundLimiter


class Ticks:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class TellingGate(InboundGate):
    """The real screen; the answer to the first update over the limit is written down instead of sent."""

    def __init__(self, limiter: InboundLimiter, log: list[str]) -> None:
        super().__init__(None, limiter)  # type: ignore[arg-type]  # only ``tell`` uses the services
        self.log = log

    async def tell(self, update: Update) -> None:
        self.log.append(f"too fast {update.update_id}")


def update(update_id: int, sender: int) -> Update:
    """A text message from ``sender`` in their private chat."""
    chat = Chat(id=sender, type="private")
    when = datetime(2026, 11, 30, tzinfo=UTC)
    message = Message(update_id, when, chat, from_user=User(sender, "P", False), text="hi")
    return Update(update_id, message=message)


async def test_updates_over_the_limit_are_dropped_on_arrival_and_the_first_is_answered_in_turn() -> None:
    log: list[str] = []
    processor = PerChatUpdateProcessor(4, gate=TellingGate(InboundLimiter(2, now=Ticks()), log))
    slow = asyncio.Event()

    async def handle(n: int) -> None:
        log.append(f"start {n}")
        if n == 1:
            await slow.wait()
        log.append(f"end {n}")

    handlings = [handle(n) for n in range(1, 7)]
    tasks = [asyncio.create_task(processor.process_update(update(n, 7), c)) for n, c in enumerate(handlings, 1)]
    await asyncio.wait_for(asyncio.gather(*tasks[3:]), 5)  # 4, 5 and 6 are done while 1 still runs
    assert log == ["start 1"] and processor.busy_chats == 1
    slow.set()
    await asyncio.gather(*tasks)
    assert log == ["start 1", "end 1", "start 2", "end 2", "too fast 3"]  # in the chat's order
    assert all(c.cr_frame is None for c in handlings[2:])  # the refused handlings were let go, never run
    assert processor.busy_chats == 0


def batch(*updates: dict[str, Any]) -> bytes:
    return json.dumps({"ok": True, "result": list(updates)}).encode()


def text(update_id: int, sender: int) -> dict[str, Any]:
    chat = {"id": sender, "type": "private"}
    message = {"message_id": update_id, "date": 0, "chat": chat, "from": {"id": sender, "is_bot": False}, "text": "x"}
    return {"update_id": update_id, "message": message}


def test_a_quiet_senders_updates_leave_a_batch_undecoded_but_the_last() -> None:
    limiter = InboundLimiter(1, now=Ticks())
    gate = InboundGate(None, limiter)  # type: ignore[arg-type]
    request = UpdatesRequest()
    request.screen = gate.keep_arrival
    assert request.parse_json_payload(batch(text(1, 7), text(2, 7)))["result"] == [text(1, 7), text(2, 7)]
    gate.screen(update(1, 7))
    gate.screen(update(2, 7))  # over the limit: 7 is quiet for a minute
    live = {"update_id": 4, "edited_message": {**text(4, 7)["message"], "location": {"latitude": 1, "longitude": 2}}}
    press = {"update_id": 5, "callback_query": {"id": "q", "from": {"id": 7}, "chat_instance": "c", "data": "d"}}
    odd = {"update_id": 6, "message": {"from": {"id": "7"}}}
    arrived = [text(3, 7), live, press, odd, text(7, 8), "junk", text(8, 7), text(9, 7)]
    kept = request.parse_json_payload(batch(*arrived))["result"]
    # Kept: a live location's move (never counted), what cannot be read plainly, someone else's message, and
    # the batch's last update, which the processor then drops (PTB asks for the next batch after it).
    assert kept == [live, odd, text(7, 8), "junk", text(9, 7)]
    assert gate.unread == limiter.dropped == 3
    refused = json.dumps({"ok": False, "error_code": 409, "description": "Conflict"}).encode()
    assert request.parse_json_payload(refused) == json.loads(refused)
