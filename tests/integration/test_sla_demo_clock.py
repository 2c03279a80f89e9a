"""The demo's clock control clicked quickly: every notice reaches its chat once (both backends).

Each click moves the clock and runs the sweep and a delivery pass at once. The outbox leases its claims in clock
time, and a click moves the clock an hour: a second pass started while the first is still sending would find the
first pass's rows free again and send them a second time ("Still overdue" four times for four clicks).
"""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta

from bot import demo_jobs
from services.channels import Outgoing
from services.clock import ManualClock
from services.context import Services
from services.delivery import deliver_due
from services.i18n import Translator
from services.messages import render_lines
from tests.integration.sla_world import beijing, build_world, change_case, dispatch_case


class SlowApi:
    """Records every message it is asked to send, taking a while over each (as Telegram does)."""

    channel = "telegram"

    def __init__(self, services: Services) -> None:
        self.services = services
        self.sent: list[tuple[int, str]] = []

    def interval(self, address: str) -> float:
        return 0.0

    async def deliver(self, item: Outgoing) -> list[str]:
        """Record the message as its reader sees it; answer with a new message id."""
        await asyncio.sleep(0.02)
        self.sent.append((int(item.address), render_lines(self.services, item.message.lines, Translator(item.locale))))
        return [str(len(self.sent))]


async def test_quick_clock_clicks_deliver_each_notice_once(services: Services, clock: ManualClock) -> None:
    services.config.outbox.per_chat_interval_seconds = 0  # pacing has its own tests; here it only slows down
    world = await build_world(services)
    cases = [await dispatch_case(services, world, "0505", beijing(2026, 11, 16, 10)) for _ in range(4)]
    clock.set(beijing(2026, 11, 16, 10, 30))
    for case_id in cases:
        await change_case(services, case_id, "accept", owner_id=world.user_ids[101])
    clock.set(beijing(2026, 11, 16, 11))
    api = SlowApi(services)

    async def flush() -> int:
        return await deliver_due(services, api)

    # "+1 day", then "+1 hour" three times, each click while the previous click's delivery is still going.
    for step in (timedelta(days=1), timedelta(hours=1), timedelta(hours=1), timedelta(hours=1)):
        clock.advance(step)
        await demo_jobs.run_due_jobs(services, flush)
        await asyncio.sleep(0.05)
    await demo_jobs.wait_background()

    copies = Counter(api.sent)
    assert [message for message, count in copies.items() if count > 1] == []
    to_owner = [text for chat, text in api.sent if chat == 101]
    assert len(to_owner) == 4  # one overdue notice per case (the chases come four hours later)
    assert all("is overdue" in text or "已超期" in text for text in to_owner)
