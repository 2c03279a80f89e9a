"""The conversation service without any channel, on both databases: plain events in, channel-neutral replies out.

This is what every adapter relies on: a report made of plain events, an album answered once by whichever process
claims it, picks re-authorised, and messages the service must leave alone.
"""

from __future__ import annotations

import asyncio
import io
from dataclasses import replace
from itertools import count
from typing import Any

import pytest
from PIL import Image
from sqlalchemy import delete, func, select, update

from models.broadcast import Subscription
from models.cases import Case, Photo, ReportDraft
from models.db import Database
from models.status import CaseStatus
from models.uow import UnitOfWork
from models.users import User
from services import routing
from services.context import Services
from services.conversation import (
    ChannelFile,
    Command,
    Conversation,
    Edited,
    Location,
    Picked,
    Reply,
    Sender,
    Typed,
    report_choices,
)
from services.conversation import Photo as PhotoEvent
from services.conversation.report_choices import NO_REPORT
from services.i18n import Translator
from services.messages import render_line
from services.users import Identity
from tests.world import INSIDE, make_grid

_files = count(1)


def person(number: int, language: str = "en", *, place: int | None = None) -> Sender:
    """Someone writing to the bot in their own conversation (or, with ``place``, in a group)."""
    identity = Identity(number, f"Person {number}", None, language, channel="web")
    return Sender(identity, place or number, private=place is None)


def photo(album: str | None = None) -> PhotoEvent:
    """A compressed photo whose bytes the channel hands over when asked."""
    n = next(_files)
    image = Image.new("RGB", (64, 48), (n * 40 % 256, 90, 120))
    data = io.BytesIO()
    image.save(data, "JPEG")

    async def fetch() -> bytes | None:
        return data.getvalue()

    return PhotoEvent(ChannelFile(f"file-{n}", f"unique-{n}", "image/jpeg", 2000, 64, 48), fetch, album=album)


def shown(services: Services, reply: Reply) -> list[str]:
    """Every line the reply shows, in its reader's language: the lead, then each message."""
    t = Translator(reply.locale)
    lines = [*reply.lead, *(line for message in reply.messages for line in message.lines)]
    return [render_line(services, line, t) for line in lines]


def token(reply: Reply, ending: str) -> str:
    """The offered choice whose token ends with ``ending``."""
    return next(tok for message in reply.messages for tok in message.choice_tokens() if tok.endswith(ending))


async def count_of(services: Services, model: Any) -> int:
    async with UnitOfWork(services.db) as uow:
        return int(await uow.session.scalar(select(func.count()).select_from(model)) or 0)


async def test_a_report_made_of_plain_events_becomes_a_dispatched_case(services: Services) -> None:
    await make_grid(services)
    await routing.load_grid_index(services)
    conversation, anna = Conversation(services), person(1)
    got = await conversation.handle(anna, photo())
    assert shown(services, got)[:2] == ["📷 Got it: 1/5 photos.", "What kind of problem is it?"]
    for later in got.later:
        await later()  # the evidence copy, fetched once the person was answered
    where = await conversation.handle(anna, Picked(token(got, ":0201")))
    assert where.edit is not None and where.messages[0].ask_location
    assert render_line(services, where.edit.lines[0], Translator("en")) == "Category: Illegal small ads / posters"  # type: ignore[index]
    note = await conversation.handle(anna, Location(*INSIDE))
    assert shown(services, note)[0] == "📍 Location saved: 39.91000, 116.40000" and note.end_location
    check = await conversation.handle(anna, Picked(token(note, ":skip:1")))
    assert "Please check your report:" in shown(services, check)
    done = await conversation.handle(anna, Picked(token(check, "submit:1")))
    assert done.edit is not None and done.edit.lines is not None
    assert render_line(services, done.edit.lines[0], Translator("en")).startswith(
        "✅ Report #1 received and sent to 东华门网格一."
    )
    async with UnitOfWork(services.db) as uow:
        [case] = list(await uow.session.scalars(select(Case)))
        [kept] = list(await uow.session.scalars(select(Photo).where(Photo.case_id == case.id)))
    assert (case.category, case.status) == ("0201", CaseStatus.DISPATCHED)
    assert kept.local_path is not None and (services.data_dir / kept.local_path).exists()


async def test_an_album_is_answered_once_by_whichever_process_claims_it(
    services: Services, db_url: tuple[str, dict[str, Any]]
) -> None:
    other_db = Database(db_url[0], connect_args=db_url[1])  # a second worker process on the same database
    try:
        other = Services.build(other_db, services.config, services.clock, "Asia/Shanghai", services.data_dir)
        here, there, anna = Conversation(services), Conversation(other), person(2)
        wait = services.config.reporting.album_wait_seconds
        first = await here.handle(anna, photo("album-7"))
        second = await there.handle(anna, photo("album-7"))
        assert first.silent and second.silent  # photos of an album say nothing on their own
        assert first.album_due_in == wait and second.album_due_in is not None and 0 <= second.album_due_in <= wait
        answers = await asyncio.gather(here.album_due(anna, "album-7"), there.album_due(anna, "album-7"))
        spoken = [shown(services, a) for a in answers if not a.silent]
        assert len(spoken) == 1 and spoken[0][:2] == ["📷 Got it: 2/5 photos.", "What kind of problem is it?"]
        late = await there.handle(anna, photo("album-7"))
        assert late.silent and late.album_due_in is None  # the answer was given; the photo is still kept
        async with UnitOfWork(services.db) as uow:
            [draft] = list(await uow.session.scalars(select(ReportDraft)))
            assert len(draft.photos) == 3
    finally:
        await other_db.dispose()


async def test_a_refused_album_is_refused_once_and_leaves_nothing(services: Services) -> None:
    conversation, li = Conversation(services), person(3, "zh-hans")
    await conversation.handle(li, Command("start", typed="/start"))
    async with UnitOfWork(services.db) as uow:
        await uow.session.execute(update(User).values(banned=True))
        await uow.commit()
    replies = [await conversation.handle(li, photo("album-9")) for _ in range(3)]
    assert shown(services, replies[0]) == ["您的账号已被限制上报，发送的任何内容都不会被受理。"]
    assert [r.silent for r in replies] == [False, True, True]
    assert (await conversation.album_due(li, "album-9")).silent
    assert await count_of(services, ReportDraft) == 0 and await count_of(services, Photo) == 0


async def test_every_pick_is_checked_again_and_a_refusal_changes_nothing(services: Services) -> None:
    await make_grid(services)
    await routing.load_grid_index(services)
    conversation, anna, eve = Conversation(services), person(4), person(5)
    got = await conversation.handle(anna, photo())
    await conversation.handle(anna, Picked(token(got, ":0102")))
    note = await conversation.handle(anna, Location(*INSIDE))
    check = await conversation.handle(anna, Picked(token(note, ":skip:1")))
    submit = token(check, "submit:1")
    # Someone else's Submit, a case action for staff, a language that does not exist, and noise.
    refused = {
        submit: "This report was already sent or has expired. /my lists your reports.",
        "case:accept:1": "There is no case #1.",
        "lang:xx": "This button is no longer valid.",
        "draft:cat:1": NO_REPORT,
        "🙂": "This button is no longer valid.",
    }
    for forged, alert in refused.items():
        reply = await conversation.handle(eve, Picked(forged))
        assert reply.alert is not None and render_line(services, reply.alert, Translator("en")) == alert
        assert reply.edit is None and not reply.messages
    assert await count_of(services, Case) == 0
    await conversation.handle(anna, Picked(submit))
    again = await conversation.handle(anna, Picked(submit))  # a second tap
    assert again.alert is not None and await count_of(services, Case) == 1
    accept = await conversation.handle(eve, Picked("case:accept:1"))
    assert accept.alert is not None
    assert render_line(services, accept.alert, Translator("en")) == "You are not responsible for case #1."
    async with UnitOfWork(services.db) as uow:
        assert await uow.session.scalar(select(Case.status)) == CaseStatus.DISPATCHED


async def test_group_chatter_and_edits_run_nothing_but_commands_count_anywhere(services: Services) -> None:
    conversation = Conversation(services)
    in_group = person(6, place=-4242)
    assert (await conversation.handle(in_group, Typed("nice weather"))).silent
    assert (await conversation.handle(person(7), Edited(Typed("typo fixed")))).silent
    assert await count_of(services, User) == 0  # nobody was even looked up
    edited = await conversation.handle(person(7), Edited(Command("start", typed="/start")))  # never run again
    assert shown(services, edited) == [
        "Editing a message does not run its command again. Send the command as a new message."
    ]
    refused = await conversation.handle(in_group, Command("subscribe", ("city",), "/subscribe"))
    assert shown(services, refused) == ["Only the group's admins can change its weekly report."]
    assert await count_of(services, Subscription) == 0
    admin = replace(in_group, group_admin=True)
    subscribed = await conversation.handle(admin, Command("subscribe", ("city",), "/subscribe"))
    assert shown(services, subscribed) == [
        "Subscribed: you will receive the weekly report for the whole city. Send /unsubscribe to stop it."
    ]
    async with UnitOfWork(services.db) as uow:
        [row] = list(await uow.session.scalars(select(Subscription)))
    # The group receives it, not the person who asked.
    assert (row.channel, row.address, row.user_id) == ("web", "-4242", None)


async def test_a_persons_first_two_messages_at_once_are_both_answered(services: Services) -> None:
    """Someone new writes in a group and in their own chat at the same moment: one person, two answers."""
    conversation = Conversation(services)
    here, there = person(8), person(8, place=-5151)
    start = Command("start", typed="/start")
    replies = await asyncio.gather(*(conversation.handle(who, start) for who in (here, there, here, there)))
    assert all(shown(services, r)[0].startswith("Hello Person 8!") for r in replies)
    assert await count_of(services, User) == 1


async def test_a_draft_removed_by_another_turn_meanwhile_gets_an_answer_not_an_error(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A pick that changes the draft while another turn of the same person (another chat, an album's timer, another
    process) submits or cancels it: nothing is written, and the pick is answered as the draft stands now."""
    conversation, anna = Conversation(services), person(9)
    got = await conversation.handle(anna, photo())
    category = token(got, ":0201")
    pick_category = report_choices._ACTIONS["cat"]

    async def meanwhile(turn: Any, draft: ReportDraft, code: str) -> Reply:
        async with UnitOfWork(services.db) as other:  # the other turn cancels the draft and commits first
            await other.session.execute(delete(ReportDraft).where(ReportDraft.id == draft.id))
            await other.commit()
        return await pick_category(turn, draft, code)

    monkeypatch.setitem(report_choices._ACTIONS, "cat", meanwhile)
    reply = await conversation.handle(anna, Picked(category))
    monkeypatch.undo()
    gone = await conversation.handle(anna, Picked(category))  # what a pick of a draft that is gone gets
    assert reply.alert is not None and gone.alert is not None and not reply.messages and reply.edit is None
    assert render_line(services, reply.alert, Translator("en")) == render_line(services, gone.alert, Translator("en"))
    assert await count_of(services, ReportDraft) == 0
