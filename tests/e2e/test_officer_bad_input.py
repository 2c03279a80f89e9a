"""Every bad input of the officer workflow gets a clear answer through the sandbox and changes nothing."""

from __future__ import annotations

import asyncio

from models.status import CaseStatus
from sandbox.client import SandboxClient
from tests.e2e.conftest import RunningBot
from tests.e2e.test_officer_flow import card, flush, reported, staffed_city, status
from tests.e2e.test_report_flow import jpeg


async def test_another_units_officer_and_a_citizen_are_refused(bot: RunningBot, client: SandboxClient) -> None:
    city = await staffed_city(bot, client)
    case_id = await reported(bot, client, city)
    for outsider in (city.officer_c, city.reporter):
        anywhere = (await client.bot_messages(outsider.chat_id))[-1]
        for action in ("accept", "resolve", "return"):
            answer = await client.wait_for_answer(
                await client.press(outsider, anywhere, f"case:{action}:{case_id}", forge=True)
            )
            assert answer.show_alert and answer.text == f"You are not responsible for case #{case_id}."
    assert (await status(bot, case_id)).status == CaseStatus.DISPATCHED


async def test_pressing_accept_twice_is_refused(bot: RunningBot, client: SandboxClient) -> None:
    city = await staffed_city(bot, client)
    case_id = await reported(bot, client, city)
    action_card = await card(client, city.officer_b, case_id)
    await client.wait_for_answer(await client.press(city.officer_b, action_card, "Accept"))
    again = await client.wait_for_answer(
        await client.press(city.officer_b, action_card, f"case:accept:{case_id}", forge=True)
    )
    assert again.show_alert and again.text == f"You have already accepted case #{case_id}."


async def test_concurrent_accepts_have_one_winner(bot: RunningBot, client: SandboxClient) -> None:
    city = await staffed_city(bot, client)
    case_id = await reported(bot, client, city)
    cards = [await card(client, city.officer_a, case_id), await card(client, city.officer_b, case_id)]
    queries = await asyncio.gather(
        client.press(city.officer_a, cards[0], "接单"), client.press(city.officer_b, cards[1], "Accept")
    )
    answers = [await client.wait_for_answer(q) for q in queries]
    winners = [a for a in answers if not a.show_alert]
    losers = [a for a in answers if a.show_alert]
    assert len(winners) == 1 and len(losers) == 1
    # Each loser reads the winner's name in their own language.
    assert losers[0].text in (
        f"Case #{case_id} was already taken by 网格员王.",
        f"案件 #{case_id} 已由Officer Brown接单。",
    )
    case = await status(bot, case_id)
    assert case.status == CaseStatus.ACCEPTED


async def test_resolving_without_a_photo_keeps_asking(bot: RunningBot, client: SandboxClient) -> None:
    city = await staffed_city(bot, client)
    case_id = await reported(bot, client, city)
    b = city.officer_b
    await client.press(b, await card(client, b, case_id), "Resolve")
    await client.wait_for_message(b.chat_id, "Send a photo")
    await client.send_text(b, "done, trust me")
    reply = await client.wait_for_message(b.chat_id)
    assert reply.text == "Please send a photo of the fixed place (as a photo), or /cancel."
    await client.send_command(b, "/skip")
    reply = await client.wait_for_message(b.chat_id)
    assert reply.text == "The after-photo is required. Please send a photo of the fixed place, or /cancel."
    await client.send_sticker(b)
    assert (await client.wait_for_message(b.chat_id)).text.startswith("Please send a photo")
    assert (await status(bot, case_id)).status == CaseStatus.ACCEPTED  # Resolve took it; no resolve yet
    await client.send_photo(b, jpeg())
    assert (await client.wait_for_message(b.chat_id)).text.startswith("Got it. Add a short note")
    await client.send_command(b, "/skip")
    assert (await client.wait_for_message(b.chat_id)).text.startswith(f"Case #{case_id} is resolved.")
    assert (await status(bot, case_id)).status == CaseStatus.RESOLVED


async def test_a_return_without_a_reason_is_not_accepted(bot: RunningBot, client: SandboxClient) -> None:
    city = await staffed_city(bot, client)
    case_id = await reported(bot, client, city)
    b = city.officer_b
    await client.press(b, await card(client, b, case_id), "Return")
    await client.wait_for_message(b.chat_id, "Why should")
    await client.send_command(b, "/skip")
    assert (await client.wait_for_message(b.chat_id)).text == "A reason is required. Please type it, or /cancel."
    await client.send_photo(b, jpeg())
    assert (await client.wait_for_message(b.chat_id)).text == "Please type the reason as a text message, or /cancel."
    await client.send_command(b, "/cancel")
    assert (await client.wait_for_message(b.chat_id)).text == f"Cancelled. Case #{case_id} is unchanged."
    assert (await status(bot, case_id)).status == CaseStatus.DISPATCHED
    # With the question gone, /cancel is the report flow's again.
    await client.send_command(b, "/cancel")
    assert (await client.wait_for_message(b.chat_id)).text == "There is nothing to cancel."


async def test_acting_on_a_closed_case_is_refused(bot: RunningBot, client: SandboxClient) -> None:
    city = await staffed_city(bot, client)
    case_id = await reported(bot, client, city)
    await client.send_command(city.boss, "/close", str(case_id), "cleaned", "by", "the", "street", "team")
    assert (await client.wait_for_message(city.boss.chat_id)).text == f"Case #{case_id} is closed (结案)."
    for officer, label in ((city.officer_a, "处置完成"), (city.officer_b, "Return")):
        answer = await client.wait_for_answer(await client.press(officer, await card(client, officer, case_id), label))
        assert answer.show_alert
    refused = await client.callback_answers(city.officer_b)
    assert refused[-1].text == f"Case #{case_id} is closed and cannot be changed now."
    chinese = await client.callback_answers(city.officer_a)
    assert chinese[-1].text == f"案件 #{case_id} 当前状态为“已结案”，现在无法进行此操作。"


async def test_reassigning_to_a_unit_that_does_not_exist_is_refused(bot: RunningBot, client: SandboxClient) -> None:
    city = await staffed_city(bot, client)
    case_id = await reported(bot, client, city)
    await client.press(city.officer_b, await card(client, city.officer_b, case_id), "Return")
    await client.send_text(city.officer_b, "not ours")
    await client.wait_for_message(city.officer_b.chat_id, "returned")
    await flush(bot)
    decision = await client.wait_for_message(city.boss.chat_id, "returned")
    await client.send_command(city.boss, "/assign", str(case_id), "G-404")
    assert (await client.wait_for_message(city.boss.chat_id)).text == "There is no unit G-404."
    forged = await client.wait_for_answer(
        await client.press(city.boss, decision, f"case:assign:{case_id}:G-404", forge=True)
    )
    assert forged.show_alert and forged.text == "There is no unit G-404."
    assert (await status(bot, case_id)).status == CaseStatus.RETURNED


async def test_supervisor_commands_need_a_supervisor_and_a_proper_number(
    bot: RunningBot, client: SandboxClient
) -> None:
    city = await staffed_city(bot, client)
    case_id = await reported(bot, client, city)
    await client.send_command(city.reporter, "/queue")
    assert (await client.wait_for_message(city.reporter.chat_id)).text == "This command is for supervisors."
    await client.send_command(city.officer_b, "/extend", str(case_id), "4h")
    assert (await client.wait_for_message(city.officer_b.chat_id)).text == (
        f"You are not responsible for case #{case_id}."
    )
    await client.send_command(city.boss, "/extend", "soon")
    assert (await client.wait_for_message(city.boss.chat_id)).text == (
        "Usage: /extend <case number> <time, e.g. 4h or 1d>"
    )
    await client.send_command(city.boss, "/extend", str(case_id), "whenever")
    assert (await client.wait_for_message(city.boss.chat_id)).text == (
        "I don't understand the time whenever. Use for example 4h or 1d."
    )
    await client.send_command(city.boss, "/case", "999")
    assert (await client.wait_for_message(city.boss.chat_id)).text == "There is no case #999."
