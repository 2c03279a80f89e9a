"""Texts over Telegram's limits: free texts are capped where they are typed, long lists come in pages."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from channels.telegram.limits import MAX_TEXT, utf16_length
from models.cases import Case
from models.status import CaseStatus
from models.uow import UnitOfWork
from models.users import User
from sandbox.client import SandboxClient
from sandbox.views import SandboxUser
from services.users import user_by_identity
from tests.e2e.conftest import RunningBot
from tests.e2e.test_officer_flow import card, flush, reported, staffed_city, status
from tests.e2e.test_report_flow import INSIDE, jpeg

LONG = "🚧" * 2100  # 2,100 characters, 4,200 UTF-16 units: over every limit


async def open_cases(
    bot: RunningBot, n: int, *, status: CaseStatus = CaseStatus.DISPATCHED, by: SandboxUser | None = None
) -> list[int]:
    """``n`` cases in G-1 with the longest address there is (reported by ``by``, else by anyone)."""
    assert bot.services is not None
    now = bot.services.clock.now()
    async with UnitOfWork(bot.services.db) as uow:
        if by is not None:
            found = await user_by_identity(uow.session, "telegram", by.id)
            reporter = found.id if found is not None else None
        else:
            reporter = await uow.session.scalar(select(User.id).order_by(User.id))
        assert reporter is not None
        made = [
            Case(
                reporter_id=reporter,
                category="0201",
                lat=INSIDE[0],
                lon=INSIDE[1],
                address="东城区" + "长" * 297,
                status=status,
                reported_at=now,
                dispatched_at=now,
                due_at=now + timedelta(hours=n - i),
                unit_id="G-1",
                chain="G-1>C-1",
            )
            for i in range(n)
        ]
        uow.session.add_all(made)
        await uow.commit()
        return [c.id for c in made]


async def test_46_open_cases_come_in_pages_of_ten(bot: RunningBot, client: SandboxClient) -> None:
    city = await staffed_city(bot, client)
    ids = await open_cases(bot, 46)
    await client.send_command(city.officer_b, "/tasks")
    first = await client.wait_for_message(city.officer_b.chat_id, "Your open cases:")
    assert utf16_length(first.text) <= MAX_TEXT
    assert "Page 1 of 5 (46 in all)." in first.text and first.button_texts == ["Next ▶"]
    earliest = ids[::-1][:10]  # earliest deadline first
    assert [line.split(" · ")[0] for line in first.text.splitlines()[1:11]] == [f"#{i}" for i in earliest]
    await client.press(city.officer_b, first, "Next ▶")
    second = await client.wait_for_edit(city.officer_b.chat_id, "Page 2 of 5")
    assert second.button_texts == ["◀ Previous", "Next ▶"]
    assert second.text.splitlines()[1].startswith(f"#{ids[::-1][10]} ")
    # The last page holds the last six.
    await client.press(city.officer_b, second.message_id, "page:tasks:5", forge=True)
    last = await client.wait_for_edit(city.officer_b.chat_id, "Page 5 of 5")
    assert last.button_texts == ["◀ Previous"] and len([x for x in last.text.splitlines() if x.startswith("#")]) == 6


async def test_a_page_choice_reads_the_list_of_whoever_picks_it(bot: RunningBot, client: SandboxClient) -> None:
    city = await staffed_city(bot, client)
    await open_cases(bot, 12)
    await client.send_command(city.officer_b, "/tasks")
    listed = await client.wait_for_message(city.officer_b.chat_id, "Your open cases:")
    await client.send_command(city.reporter, "/my")
    mine = await client.wait_for_message(city.reporter.chat_id)
    # The citizen forges the officer's page choice on a message of their own: their own (empty) rights apply.
    await client.press(city.reporter, mine, "page:tasks:2", forge=True)
    refused = await client.wait_for_edit(city.reporter.chat_id)
    assert refused.text == "This command is for grid officers and supervisors." and "#" not in refused.text
    assert "Page 1 of 2" in listed.text


async def test_a_long_return_reason_is_refused_and_asked_again(bot: RunningBot, client: SandboxClient) -> None:
    city = await staffed_city(bot, client)
    case_id = await reported(bot, client, city)
    await client.press(city.officer_b, await card(client, city.officer_b, case_id), "Return")
    await client.wait_for_message(city.officer_b.chat_id, "Why should case")
    await client.send_text(city.officer_b, LONG)
    answer = await client.wait_for_message(city.officer_b.chat_id, "too long")
    assert answer.text == "That is too long: at most 500 characters, yours has 2100. Please send a shorter text."
    assert (await status(bot, case_id)).status == CaseStatus.DISPATCHED
    await client.send_text(city.officer_b, "Not our grid: the wall belongs to the railway")  # the question stayed
    done = await client.wait_for_message(city.officer_b.chat_id, "returned")
    assert done.text == f"Case #{case_id} was returned (回退) to the supervisor."
    await flush(bot)
    await client.wait_for_message(city.boss.chat_id, "the wall belongs to the railway")


async def test_a_long_resolve_note_is_refused_and_the_photo_kept(bot: RunningBot, client: SandboxClient) -> None:
    city = await staffed_city(bot, client)
    case_id = await reported(bot, client, city)
    await client.press(city.officer_b, await card(client, city.officer_b, case_id), "Resolve")
    await client.wait_for_message(city.officer_b.chat_id, "Send a photo of the fixed place")
    await client.send_photo(city.officer_b, jpeg())
    await client.wait_for_message(city.officer_b.chat_id, "Add a short note")
    await client.send_text(city.officer_b, "x" * 4050)
    answer = await client.wait_for_message(city.officer_b.chat_id, "too long")
    assert answer.text == "That is too long: at most 500 characters, yours has 4050. Please send a shorter text."
    assert (await status(bot, case_id)).status == CaseStatus.ACCEPTED
    await client.send_text(city.officer_b, "Posters scraped off")
    await client.wait_for_message(city.officer_b.chat_id, "is resolved")
    await flush(bot)
    question = await client.wait_for_message(city.reporter.chat_id, "Is the problem fixed?")
    assert question.button_texts == ["Fixed", "Not fixed"]


async def test_long_command_reasons_are_refused(bot: RunningBot, client: SandboxClient) -> None:
    city = await staffed_city(bot, client)
    case_id = await reported(bot, client, city)
    for command in ("/suspend", "/close"):
        await client.send_text(city.boss, f"{command} {case_id} {'y' * 501}")
        answer = await client.wait_for_message(city.boss.chat_id, "too long")
        assert answer.text == "That is too long: at most 500 characters, yours has 501. Please send a shorter text."
    assert (await status(bot, case_id)).status == CaseStatus.DISPATCHED


async def test_the_queue_and_my_reports_come_in_pages(bot: RunningBot, client: SandboxClient) -> None:
    city = await staffed_city(bot, client)
    await client.send_command(city.reporter, "/start")
    await client.wait_for_message(city.reporter.chat_id)
    await open_cases(bot, 23, status=CaseStatus.RETURNED, by=city.reporter)
    await client.send_command(city.boss, "/queue")
    queue = await client.wait_for_message(city.boss.chat_id, "Waiting for your decision:")
    assert "Page 1 of 3 (23 in all)." in queue.text and queue.button_texts == ["Next ▶"]
    await client.send_command(city.reporter, "/my")
    mine = await client.wait_for_message(city.reporter.chat_id, "Your reports")
    assert "Page 1 of 3 (23 in all)." in mine.text and mine.button_texts[-1] == "Next ▶"
    assert len(mine.button_texts) == 11  # ten histories and the next page
    await client.press(city.reporter, mine, "Next ▶")
    second = await client.wait_for_edit(city.reporter.chat_id, "Page 2 of 3")
    assert second.button_texts[-2:] == ["◀ Previous", "Next ▶"] and len(second.button_texts) == 12
    assert utf16_length(second.text) <= MAX_TEXT
