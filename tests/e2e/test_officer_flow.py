"""The closed loop through the sandbox: report → assignment → accept → resolve with a photo → reporter's check.

Also home of the staffed city the other officer tests use.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from models.cases import Case
from models.grid import BindingRole
from models.outbox import DeliveryStatus, OutboxMessage
from models.status import CaseStatus
from models.uow import UnitOfWork
from sandbox.client import SandboxClient
from sandbox.views import ChatMessage, SandboxUser
from services import routing
from services.delivery import deliver_due
from tests.e2e.conftest import RunningBot
from tests.e2e.test_report_flow import INSIDE, jpeg, report
from tests.world import build

CATEGORY = "Illegal small ads / posters"


@dataclass
class City:
    """The people of the test city, as sandbox users."""

    reporter: SandboxUser
    officer_a: SandboxUser  # G-1, Chinese
    officer_b: SandboxUser  # G-1, English
    officer_c: SandboxUser  # G-2 (the neighbouring grid)
    boss: SandboxUser  # supervisor of community C-1

    @property
    def staff(self) -> list[SandboxUser]:
        return [self.officer_a, self.officer_b, self.officer_c, self.boss]


async def staffed_city(bot: RunningBot, client: SandboxClient) -> City:
    """Community C-1 with grids G-1 (two officers) and G-2 (one), a supervisor, and a reporter."""
    assert bot.services is not None
    bot.services.config.outbox.per_chat_interval_seconds = 0  # pacing has its own tests; keep these quick
    city = City(
        reporter=await client.create_user(first_name="Xiaoming", username="xiaoming_secret", language_code="en"),
        officer_a=await client.create_user(first_name="Wang", language_code="zh-hans"),
        officer_b=await client.create_user(first_name="Brown", language_code="en"),
        officer_c=await client.create_user(first_name="Chen", language_code="en"),
        boss=await client.create_user(first_name="Boss", language_code="en"),
    )
    for person in city.staff:
        await client.send_command(person, "/start")
        await client.wait_for_message(person.chat_id)
    services = bot.services
    bindings = [
        (city.officer_a, "G-1", BindingRole.OFFICER, "网格员王"),
        (city.officer_b, "G-1", BindingRole.OFFICER, "Officer Brown"),
        (city.officer_c, "G-2", BindingRole.OFFICER, "Officer Chen"),
        (city.boss, "C-1", BindingRole.SUPERVISOR, "Community lead"),
    ]
    async with build(services) as world:
        await world.downtown("G-1", "G-2")
        for person, unit, role, display in bindings:
            await world.bind(await world.account(person.id), unit, role, display)
    await routing.load_grid_index(services)
    return city


async def flush(bot: RunningBot) -> int:
    """Deliver everything due in the outbox now, as the running job would."""
    assert bot.services is not None
    return await deliver_due(bot.services)


async def reported(
    bot: RunningBot,
    client: SandboxClient,
    city: City,
    note: str | None = None,
    file: tuple[bytes, str, str] | None = None,
) -> int:
    """The reporter reports a poster inside G-1 (with a photo, or ``file`` sent "as file"); returns the case id once
    the assignment is delivered."""
    await report(client, city.reporter, category=CATEGORY, where=INSIDE, note=note, file=file)
    await flush(bot)
    assert bot.services is not None
    async with UnitOfWork(bot.services.db) as uow:
        case_id = await uow.session.scalar(select(Case.id).order_by(Case.id.desc()))
    assert case_id is not None
    return case_id


async def card(client: SandboxClient, officer: SandboxUser, case_id: int) -> ChatMessage:
    """The officer's assignment card (the message with the case's buttons)."""
    for message in reversed(await client.bot_messages(officer.chat_id)):
        if any(b.callback_data and b.callback_data.endswith(f":{case_id}") for row in message.buttons for b in row):
            return message
    raise AssertionError(f"no card for case {case_id} in chat {officer.chat_id}")


async def status(bot: RunningBot, case_id: int) -> Case:
    assert bot.services is not None
    async with UnitOfWork(bot.services.db) as uow:
        case = await uow.session.get(Case, case_id)
        assert case is not None
        return case


async def resolve_with_photo(client: SandboxClient, officer: SandboxUser, case_id: int, caption: str) -> None:
    """Press Resolve on the card and answer with a captioned after-photo."""
    await client.press(officer, await card(client, officer, case_id), f"case:resolve:{case_id}")
    await client.wait_for_message(officer.chat_id, f"#{case_id}")
    await client.send_photo(officer, jpeg(), caption=caption)
    await client.wait_for_message(officer.chat_id, f"#{case_id}")


# ---------------------------------------------------------------- tests
async def test_assignment_reaches_only_the_units_officers_without_the_reporter(
    bot: RunningBot, client: SandboxClient
) -> None:
    city = await staffed_city(bot, client)
    case_id = await reported(bot, client, city, note="posters all over the lamp post")
    for officer in (city.officer_a, city.officer_b):
        messages = await client.bot_messages(officer.chat_id)
        photo, pin, action_card = messages[-3:]
        assert photo.file_id is not None and f"#{case_id}" in photo.text
        assert "location" in pin.raw
        assert action_card.buttons and "posters all over the lamp post" in action_card.text
        for message in (photo, pin, action_card):
            assert "Xiaoming" not in str(message.raw) and "xiaoming_secret" not in str(message.raw)
            assert str(city.reporter.id) not in str(message.raw)
    english = await card(client, city.officer_b, case_id)
    assert english.button_texts == ["Accept", "Resolve", "Return"]
    assert (await card(client, city.officer_a, case_id)).button_texts == ["接单", "处置完成", "回退"]
    for outsider in (city.officer_c, city.boss):
        assert [m for m in await client.bot_messages(outsider.chat_id) if f"#{case_id}" in m.text] == []


async def test_accept_resolve_confirm_closes_the_case(bot: RunningBot, client: SandboxClient) -> None:
    city = await staffed_city(bot, client)
    case_id = await reported(bot, client, city)
    query = await client.press(city.officer_b, await card(client, city.officer_b, case_id), "Accept")
    assert (await client.wait_for_answer(query)).text == f"You accepted case #{case_id}."
    assert (await card(client, city.officer_b, case_id)).button_texts == ["Resolve", "Return"]
    await flush(bot)
    taken = await client.wait_for_edit(city.officer_a.chat_id)
    assert taken.text == f"案件 #{case_id} 已由Officer Brown接单。" and taken.buttons == []
    assert "accepted by a grid officer" in (await client.wait_for_message(city.reporter.chat_id)).text

    await client.press(city.officer_b, await card(client, city.officer_b, case_id), "Resolve")
    ask = await client.wait_for_message(city.officer_b.chat_id)
    assert ask.text == f"Send a photo of the fixed place for case #{case_id}. /cancel to stop."
    await client.send_photo(city.officer_b, jpeg(), caption="Posters scraped off")
    done = await client.wait_for_message(city.officer_b.chat_id)
    assert done.text == f"Case #{case_id} is resolved. The reporter will be asked to confirm."

    await flush(bot)
    question = await client.wait_for_message(city.reporter.chat_id, "Is the problem fixed?")
    assert "Posters scraped off" in question.text and question.button_texts == ["Fixed", "Not fixed"]
    album = [m for m in await client.bot_messages(city.reporter.chat_id) if m.file_id][-2:]
    assert album[0].text == f"Report #{case_id}: before and after." and len(album) == 2
    await client.press(city.reporter, question, "Fixed")
    closed = await client.wait_for_edit(city.reporter.chat_id)
    assert closed.text == f"Thank you! Report #{case_id} is closed." and closed.buttons == []
    case = await status(bot, case_id)
    assert case.status == CaseStatus.CLOSED and case.satisfied and case.closed_on_time
    await flush(bot)
    told = await client.wait_for_message(city.officer_b.chat_id)
    assert told.text == f"The reporter confirmed case #{case_id} is fixed. The case is closed (结案)."


async def test_not_fixed_sends_the_case_back_to_the_same_officer(bot: RunningBot, client: SandboxClient) -> None:
    city = await staffed_city(bot, client)
    case_id = await reported(bot, client, city)
    await client.press(city.officer_a, await card(client, city.officer_a, case_id), "接单")
    await resolve_with_photo(client, city.officer_a, case_id, "已清理")
    await flush(bot)
    question = await client.wait_for_message(city.reporter.chat_id, "Is the problem fixed?")
    await client.press(city.reporter, question, "Not fixed")
    edited = await client.wait_for_edit(city.reporter.chat_id)
    assert edited.text == f"Thank you. Report #{case_id} went back to the grid officer for rework."
    await flush(bot)
    rework = await client.wait_for_message(city.officer_a.chat_id, "需要返工")
    assert rework.button_texts == ["处置完成", "回退"]
    case = await status(bot, case_id)
    assert case.status == CaseStatus.REWORK and case.rework_count == 1
    # The colleague is not asked to do the rework.
    assert [m for m in await client.bot_messages(city.officer_b.chat_id) if "rework" in m.text] == []
    await resolve_with_photo(client, city.officer_a, case_id, "这次彻底清理了")
    assert (await status(bot, case_id)).status == CaseStatus.RESOLVED


async def test_return_goes_to_the_supervisor_who_reassigns_to_the_neighbour(
    bot: RunningBot, client: SandboxClient
) -> None:
    city = await staffed_city(bot, client)
    case_id = await reported(bot, client, city)
    await client.press(city.officer_b, await card(client, city.officer_b, case_id), "Return")
    ask = await client.wait_for_message(city.officer_b.chat_id)
    assert ask.text.startswith(f"Why should case #{case_id} go back")
    await client.send_text(city.officer_b, "This wall belongs to grid two")
    confirm = await client.wait_for_message(city.officer_b.chat_id)
    assert confirm.text == f"Case #{case_id} was returned (回退) to the supervisor."
    await flush(bot)
    decision = await client.wait_for_message(city.boss.chat_id, "returned")
    assert "This wall belongs to grid two" in decision.text and "Officer Brown" in decision.text
    assert decision.button_texts == ["Assign to 东华门网格二", "Send back", "Reject"]
    await client.press(city.boss, decision, "Assign to 东华门网格二")
    assert (await client.wait_for_message(city.boss.chat_id)).text == f"Case #{case_id} was dispatched to 东华门网格二."
    await flush(bot)
    new_card = await client.wait_for_message(city.officer_c.chat_id, lambda m: bool(m.buttons))
    assert new_card.button_texts == ["Accept", "Resolve", "Return"]
    await client.wait_for_answer(await client.press(city.officer_c, new_card, "Accept"))
    case = await status(bot, case_id)
    assert case.unit_id == "G-2" and case.status == CaseStatus.ACCEPTED
    passed = await client.wait_for_message(city.reporter.chat_id, "was passed to")
    assert passed.text == f"Your report #{case_id} was passed to 东华门网格二."


async def test_a_restart_between_question_and_answer_loses_nothing(bot: RunningBot, client: SandboxClient) -> None:
    city = await staffed_city(bot, client)
    case_id = await reported(bot, client, city)
    await client.press(city.officer_b, await card(client, city.officer_b, case_id), "Resolve")
    await client.wait_for_message(city.officer_b.chat_id)
    await bot.stop()
    await bot.restart()
    await client.send_photo(city.officer_b, jpeg(), caption="done")
    await client.wait_for_message(city.officer_b.chat_id, "is resolved")
    assert (await status(bot, case_id)).status == CaseStatus.RESOLVED


async def test_every_assignment_message_is_marked_sent_with_its_message_id(
    bot: RunningBot, client: SandboxClient
) -> None:
    city = await staffed_city(bot, client)
    await reported(bot, client, city)
    assert bot.services is not None
    async with UnitOfWork(bot.services.db) as uow:
        rows = list(await uow.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "assignment_card")))
    assert len(rows) == 2
    for row in rows:
        assert row.status == DeliveryStatus.SENT and row.delivered
        shown = await client.bot_messages(int(row.address))
        assert int(row.delivered[0]) in [m.message_id for m in shown]
