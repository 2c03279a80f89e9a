"""Supervisor and officer tools through the sandbox: /queue, /case, /tasks, /extend, /suspend, /resume, reject."""

from __future__ import annotations

from datetime import timedelta

from models.status import CaseStatus
from sandbox.client import SandboxClient
from services.clock import ManualClock
from tests.e2e.conftest import RunningBot
from tests.e2e.test_officer_flow import City, card, flush, reported, staffed_city, status


async def returned(bot: RunningBot, client: SandboxClient, city: City) -> int:
    case_id = await reported(bot, client, city)
    await client.press(city.officer_b, await card(client, city.officer_b, case_id), "Return")
    await client.send_text(city.officer_b, "the wall is private property")
    await client.wait_for_message(city.officer_b.chat_id, "returned")
    await flush(bot)
    await client.wait_for_message(city.boss.chat_id, "returned")
    return case_id


async def test_queue_and_case_show_the_returned_case_without_the_reporter(
    bot: RunningBot, client: SandboxClient
) -> None:
    city = await staffed_city(bot, client)
    case_id = await returned(bot, client, city)
    await client.send_command(city.boss, "/queue")
    queue = await client.wait_for_message(city.boss.chat_id)
    assert queue.text.startswith("Waiting for your decision:\n#1 · Illegal small ads / posters · returned")
    await client.send_command(city.boss, "/case", f"#{case_id}")
    details = (await client.wait_for_message(city.boss.chat_id)).text
    assert "Status: returned" in details and "Unit: 东华门网格一 (G-1)" in details
    assert "returned (回退) · Officer Brown · the wall is private property" in details
    assert "Xiaoming" not in details and "xiaoming_secret" not in details and str(city.reporter.id) not in details


async def test_reject_asks_for_the_reason_and_tells_the_reporter(bot: RunningBot, client: SandboxClient) -> None:
    city = await staffed_city(bot, client)
    case_id = await returned(bot, client, city)
    decision = [m for m in await client.bot_messages(city.boss.chat_id) if m.buttons][-1]
    await client.press(city.boss, decision, "Reject")
    ask = await client.wait_for_message(city.boss.chat_id)
    assert ask.text.startswith(f"Why is case #{case_id} rejected?")
    await client.send_text(city.boss, "Private property: the owner has been informed")
    done = await client.wait_for_message(city.boss.chat_id)
    assert done.text == f"Case #{case_id} was rejected; the reporter was told why."
    await flush(bot)
    told = await client.wait_for_message(city.reporter.chat_id, "not taken up")
    assert told.text == f"Report #{case_id} was not taken up: Private property: the owner has been informed"
    assert (await status(bot, case_id)).status == CaseStatus.REJECTED


async def test_tasks_mark_overdue_cases(bot: RunningBot, client: SandboxClient, clock: ManualClock) -> None:
    city = await staffed_city(bot, client)
    case_id = await reported(bot, client, city)
    await client.send_command(city.officer_b, "/tasks")
    listing = (await client.wait_for_message(city.officer_b.chat_id)).text
    assert listing.startswith("Your open cases:\n#1 · Illegal small ads / posters · dispatched")
    assert "due 2026-11-17 10:00" in listing and "overdue" not in listing
    clock.advance(timedelta(days=2))
    await client.send_command(city.officer_a, "/tasks")
    listing = (await client.wait_for_message(city.officer_a.chat_id)).text
    assert f"#{case_id} · 非法小广告" in listing and "⚠️ 已超期（时限 2026-11-17 10:00）" in listing
    await client.send_command(city.officer_c, "/tasks")
    assert (await client.wait_for_message(city.officer_c.chat_id)).text == "You have no open cases."


async def test_extend_suspend_and_resume_move_the_deadline(
    bot: RunningBot, client: SandboxClient, clock: ManualClock
) -> None:
    city = await staffed_city(bot, client)
    case_id = await reported(bot, client, city)
    boss = city.boss
    await client.send_command(boss, "/extend", str(case_id), "4h")
    assert (await client.wait_for_message(boss.chat_id)).text == f"New deadline of case #{case_id}: 2026-11-17 16:00."
    await flush(bot)
    told = await client.wait_for_message(city.officer_b.chat_id, "extended")
    assert told.text == f"The deadline of case #{case_id} was extended (延期) to 2026-11-17 16:00."
    await client.send_command(boss, "/suspend", str(case_id), "waiting", "for", "the", "wall's", "owner")
    reply = await client.wait_for_message(boss.chat_id)
    assert reply.text.startswith(f"Case #{case_id} is suspended (挂账)")
    clock.advance(timedelta(hours=1))  # Monday 10:00 → 11:00: one working hour on hold
    await client.send_command(boss, "/resume", str(case_id))
    reply = await client.wait_for_message(boss.chat_id)
    assert reply.text == f"Case #{case_id} is active again. New deadline: 2026-11-17 17:00."
    case = await status(bot, case_id)
    assert case.status == CaseStatus.DISPATCHED and case.extension_count == 1
    await flush(bot)
    follower = [m.text for m in await client.bot_messages(city.reporter.chat_id)]
    assert f"Report #{case_id} is on hold (挂账): waiting for the wall's owner" in follower
    assert f"Work on report #{case_id} has resumed." in follower


async def test_help_lists_the_staff_commands_for_staff_only(bot: RunningBot, client: SandboxClient) -> None:
    city = await staffed_city(bot, client)
    await client.send_command(city.boss, "/help")
    boss_help = (await client.wait_for_message(city.boss.chat_id)).text
    for command in ("/queue", "/case", "/assign", "/extend", "/suspend", "/resume", "/close", "/tasks"):
        assert command in boss_help
    await client.send_command(city.officer_b, "/help")
    officer_help = (await client.wait_for_message(city.officer_b.chat_id)).text
    assert "/tasks" in officer_help and "/case" in officer_help and "/queue" not in officer_help
    await client.send_command(city.reporter, "/help")
    citizen_help = (await client.wait_for_message(city.reporter.chat_id)).text
    assert "/tasks" not in citizen_help and "/queue" not in citizen_help


async def test_editing_a_sent_command_does_not_run_it_again(bot: RunningBot, client: SandboxClient) -> None:
    city = await staffed_city(bot, client)
    case_id = await reported(bot, client, city)
    boss = city.boss
    sent = await client.send_command(boss, "/extend", str(case_id), "4h")
    assert (await client.wait_for_message(boss.chat_id)).text == f"New deadline of case #{case_id}: 2026-11-17 16:00."
    await client.edit_text(boss, sent, f"/extend {case_id} 8h")
    answer = await client.wait_for_message(boss.chat_id, "Editing a message")
    assert answer.text == "Editing a message does not run its command again. Send the command as a new message."
    case = await status(bot, case_id)
    assert case.extension_count == 1  # extended once, by the command as first sent
