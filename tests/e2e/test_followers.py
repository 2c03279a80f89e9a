"""A duplicate report makes its sender a follower: status news only, no say over the fix, never named to staff."""

from __future__ import annotations

from datetime import timedelta

from sandbox.client import SandboxClient
from sandbox.views import SandboxUser
from services.clock import ManualClock
from services.sla import sweep
from tests.e2e.conftest import RunningBot
from tests.e2e.test_officer_flow import CATEGORY, City, card, flush, reported, resolve_with_photo, staffed_city, status
from tests.e2e.test_report_flow import INSIDE, report

NAMES = ("Xiaoming", "xiaoming_secret", "Lily", "lily_private")


async def with_follower(bot: RunningBot, client: SandboxClient) -> tuple[City, int, SandboxUser]:
    city = await staffed_city(bot, client)
    case_id = await reported(bot, client, city)
    lily = await client.create_user(first_name="Lily", username="lily_private", language_code="en")
    labels = {"done": "already reported"}
    done = await report(client, lily, category=CATEGORY, where=(INSIDE[0] + 0.0001, INSIDE[1]), labels=labels)
    assert f"already reported as #{case_id}" in done.text  # the same problem: Lily follows the first case
    await flush(bot)
    return city, case_id, lily


async def test_a_follower_gets_news_but_not_the_photos_or_the_question(bot: RunningBot, client: SandboxClient) -> None:
    city, case_id, lily = await with_follower(bot, client)
    await client.press(city.officer_b, await card(client, city.officer_b, case_id), "Accept")
    await resolve_with_photo(client, city.officer_b, case_id, "Scraped off")
    await flush(bot)
    question = await client.wait_for_message(city.reporter.chat_id, "Is the problem fixed?")
    news = await client.wait_for_message(lily.chat_id, "was handled")
    handled = "was handled by the grid officer; the first person who reported it will check."
    assert news.text == f"Report #{case_id} {handled}" and news.buttons == []
    told = [m.raw for m in await client.bot_messages(lily.chat_id)]
    assert not any("photo" in raw for raw in told) and "Scraped off" not in str(told)
    # Lily forges the reporter's button: refused, and the case waits for the reporter.
    query = await client.press(lily, news.message_id, f"case:notfixed:{case_id}", forge=True)
    refusal = await client.wait_for_answer(query)
    assert refusal.text == f"Only the person who first reported case #{case_id} can check the fix."
    assert (await status(bot, case_id)).status == "resolved"
    await client.press(city.reporter, question, "Not fixed")
    await client.wait_for_edit(city.reporter.chat_id)
    assert (await status(bot, case_id)).status == "rework"
    await flush(bot)
    assert any("went back to the grid officer" in m.text for m in await client.bot_messages(lily.chat_id))


async def test_staff_never_see_a_citizen_name(bot: RunningBot, client: SandboxClient, clock: ManualClock) -> None:
    city, case_id, _ = await with_follower(bot, client)
    await client.press(city.officer_b, await card(client, city.officer_b, case_id), "Accept")
    clock.advance(timedelta(days=3))  # past the deadline: the supervisor hears of it
    assert bot.services is not None
    await sweep(bot.services)
    await flush(bot)
    for person in (city.officer_b, city.boss):
        await client.send_command(person, "/case", str(case_id))
        await client.wait_for_message(person.chat_id, "History:")
    await client.send_command(city.boss, "/queue")
    await client.wait_for_message(city.boss.chat_id)
    staff_saw = [str(m.raw) for person in city.staff for m in await client.bot_messages(person.chat_id)]
    assert any(f"#{case_id}" in seen for seen in staff_saw)
    assert any("overdue" in seen.lower() or "逾期" in seen for seen in staff_saw)
    for name in NAMES:
        assert not any(name in seen for seen in staff_saw), name
