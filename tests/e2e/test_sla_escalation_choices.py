"""An escalation notice carries choices a supervisor acts on without typing: open the case, extend, reassign."""

from __future__ import annotations

from datetime import timedelta

from models.status import CaseStatus
from sandbox.client import SandboxClient
from sandbox.views import ChatMessage
from services.clock import ManualClock
from services.sla import sweep
from tests.e2e.conftest import RunningBot
from tests.e2e.test_officer_flow import City, flush, reported, staffed_city, status


async def escalated(bot: RunningBot, client: SandboxClient, city: City, clock: ManualClock) -> tuple[int, ChatMessage]:
    """A case left overdue for two days: the supervisor's escalation notice, delivered."""
    case_id = await reported(bot, client, city)
    clock.advance(timedelta(days=2))
    assert bot.services is not None
    await sweep(bot.services)
    await flush(bot)
    notice = await client.wait_for_message(city.boss.chat_id, "Escalation")
    return case_id, notice


async def test_the_escalation_notice_offers_open_extend_and_reassign(
    bot: RunningBot, client: SandboxClient, clock: ManualClock
) -> None:
    city = await staffed_city(bot, client)
    case_id, notice = await escalated(bot, client, city, clock)

    labels = [[button.text for button in row] for row in notice.buttons]
    assert labels == [[f"📂 Open case #{case_id}"], ["⏳ Extend +4 h", "⏳ Extend +1 d"], ["↪️ Reassign"]]
    assert notice.text.startswith(f"🔔 Escalation, level 3: case #{case_id} (Illegal small ads / posters")

    await client.press(city.boss, notice, f"📂 Open case #{case_id}")
    details = await client.wait_for_message(city.boss.chat_id, "History:")
    assert details.text.startswith(f"Case #{case_id}: Illegal small ads / posters\nStatus: dispatched")

    before = (await status(bot, case_id)).due_at
    await client.press(city.boss, notice, "⏳ Extend +4 h")
    extended = await client.wait_for_message(city.boss.chat_id, "New deadline")
    assert extended.text == f"New deadline of case #{case_id}: 2026-11-17 16:00."
    after = await status(bot, case_id)
    assert before is not None and after.due_at is not None and after.due_at > before
    assert after.extension_count == 1
    # A second press of the same choice (a double tap, or the notice read again later) extends nothing more.
    again = await client.wait_for_answer(await client.press(city.boss, notice, "⏳ Extend +4 h"))
    assert again.show_alert and f"deadline of case #{case_id} has changed" in (again.text or "")
    twice = await status(bot, case_id)
    assert (twice.due_at, twice.extension_count) == (after.due_at, 1)

    await client.press(city.boss, notice, "↪️ Reassign")
    where = await client.wait_for_message(city.boss.chat_id, "which unit")
    assert where.text == f"Move case #{case_id} to which unit?"
    assert [row[0].text for row in where.buttons] == ["Assign to 东华门网格二"]
    await client.press(city.boss, where, "Assign to 东华门网格二")
    await client.wait_for_message(city.boss.chat_id, "was dispatched to 东华门网格二")
    moved = await status(bot, case_id)
    assert moved.unit_id == "G-2" and moved.status == CaseStatus.DISPATCHED
    # The units' choices go once one is picked; an old copy of the offer changes nothing more.
    assert (await client.wait_for_edit(city.boss.chat_id, lambda m: m.message_id == where.message_id)).buttons == []


async def test_an_officer_cannot_use_a_supervisors_escalation_choices(
    bot: RunningBot, client: SandboxClient, clock: ManualClock
) -> None:
    city = await staffed_city(bot, client)
    case_id, _notice = await escalated(bot, client, city, clock)
    before = await status(bot, case_id)

    # A modified client sends the tokens from the officer's own chat: re-checked, refused, nothing changes.
    officer = city.officer_c
    anchor = (await client.bot_messages(officer.chat_id))[-1]
    for token in (f"case:extend:{case_id}:1d", f"case:reassign:{case_id}", f"case:move:{case_id}:G-2"):
        query = await client.press(officer, anchor, token, forge=True)
        answer = await client.wait_for_answer(query)
        assert answer.show_alert and f"#{case_id}" in (answer.text or "")
    answer = await client.wait_for_answer(await client.press(officer, anchor, f"case:open:{case_id}", forge=True))
    assert answer.show_alert and "History:" not in (answer.text or "")
    assert "History:" not in (await client.bot_messages(officer.chat_id))[-1].text

    after = await status(bot, case_id)
    assert (after.due_at, after.unit_id, after.extension_count) == (before.due_at, before.unit_id, 0)


async def test_a_malformed_extension_token_is_a_stale_choice(
    bot: RunningBot, client: SandboxClient, clock: ManualClock
) -> None:
    city = await staffed_city(bot, client)
    case_id, notice = await escalated(bot, client, city, clock)
    before = await status(bot, case_id)
    answer = await client.wait_for_answer(
        await client.press(city.boss, notice, f"case:extend:{case_id}:99999d", forge=True)
    )
    assert answer.text  # the stale-choice answer: nothing was extended
    assert (await status(bot, case_id)).due_at == before.due_at
