"""Two turns of one person at once, on both databases: the draft one turn works on is removed by the other.

Each test lets the other turn (the person's /cancel or Submit in another chat, an album's timer, the expiry
sweep) run and commit at the moment the race is lost, between this turn's read of the draft and its write.
What the person gets is an answer, never an error; nothing half-written stays, and nothing of a sent report goes.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from sqlalchemy import select

from models.cases import Case, Photo, ReportDraft
from models.uow import UnitOfWork
from services import intake, intake_submit, routing
from services.context import Services
from services.conversation import Command, Conversation, Location, Picked, Reply, report, report_photos
from services.intake import DraftState
from tests.integration.test_conversation import count_of, person, photo, shown, token
from tests.integration.test_conversation_stale import alert
from tests.world import INSIDE, make_grid

GONE = "That report is gone (sent, cancelled or expired), so this photo was not added. "


async def complete_draft(conversation: Conversation, who: Any) -> str:
    """A draft ready to send; returns its Submit token."""
    got = await conversation.handle(who, photo())
    await conversation.handle(who, Picked(token(got, ":0201")))
    note = await conversation.handle(who, Location(*INSIDE))
    confirm = await conversation.handle(who, Picked(choice(note, ":skip:")))
    return choice(confirm, ":submit:")


def choice(reply: Reply, part: str) -> str:
    """The offered choice whose token holds ``part``."""
    return next(tok for message in reply.messages for tok in message.choice_tokens() if part in tok)


async def test_a_photo_for_a_draft_cancelled_meanwhile_is_answered_gone_and_writes_nothing(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The photo's turn read the draft; the person's /cancel in a group commits before the photo is stored."""
    conversation, anna, in_group = Conversation(services), person(61), person(61, place=-6100)
    await conversation.handle(anna, photo())
    add_photo = intake.add_photo

    async def cancelled_first(*args: Any, **kwargs: Any) -> Any:
        await conversation.handle(in_group, Command("cancel", typed="/cancel"))
        return await add_photo(*args, **kwargs)

    monkeypatch.setattr(report_photos.intake, "add_photo", cancelled_first)
    reply = await conversation.handle(anna, photo())
    monkeypatch.undo()
    assert shown(services, reply) == [GONE + "Send it again to start a new report."]
    assert reply.later == []  # no evidence copy is fetched for a photo that was not stored
    assert await count_of(services, ReportDraft) == 0
    assert await count_of(services, Photo) == 0
    again = await conversation.handle(anna, photo())  # sent again, it starts a new report
    assert shown(services, again)[0] == "📷 Got it: 1/5 photos."


async def test_a_photo_for_a_draft_sent_meanwhile_is_not_added_to_the_case(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A further photo races the person's Submit: the case keeps what was sent, the photo is refused."""
    await make_grid(services)
    await routing.load_grid_index(services)
    conversation, anna, in_group = Conversation(services), person(62), person(62, place=-6200)
    submit = await complete_draft(conversation, anna)
    add_photo = intake.add_photo

    async def sent_first(*args: Any, **kwargs: Any) -> Any:
        await conversation.handle(in_group, Picked(submit))
        return await add_photo(*args, **kwargs)

    monkeypatch.setattr(report_photos.intake, "add_photo", sent_first)
    reply = await conversation.handle(anna, photo())
    monkeypatch.undo()
    assert shown(services, reply) == [GONE + "Send it again to start a new report."]
    async with UnitOfWork(services.db) as uow:
        case = (await uow.session.scalars(select(Case))).one()
        rows = (await uow.session.scalars(select(Photo))).all()
    assert [(p.case_id, p.draft_id) for p in rows] == [(case.id, None)]
    assert await count_of(services, ReportDraft) == 0


async def test_cancel_after_another_turn_cancelled_the_draft_says_there_is_nothing_to_cancel(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """/cancel in the person's chat and in a group at once: the second finds the rows gone, and says so."""
    conversation, anna, in_group = Conversation(services), person(63), person(63, place=-6300)
    await conversation.handle(anna, photo())
    await conversation.handle(anna, photo())
    cancel_all = intake.cancel_all

    async def cancelled_first(session: Any, user_id: int, state: DraftState | None = None) -> Any:
        monkeypatch.setattr(report.intake, "cancel_all", cancel_all)  # the other turn's /cancel is a plain one
        await conversation.handle(in_group, Command("cancel", typed="/cancel"))
        return await cancel_all(session, user_id, state)

    monkeypatch.setattr(report.intake, "cancel_all", cancelled_first)
    reply = await conversation.handle(anna, Command("cancel", typed="/cancel"))
    monkeypatch.undo()
    assert shown(services, reply) == ["There is nothing to cancel."]
    assert await count_of(services, ReportDraft) == 0
    assert await count_of(services, Photo) == 0


async def test_the_cancel_button_after_the_report_was_sent_meanwhile_keeps_the_cases_photos(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Cancel pressed while Submit (in another chat) commits first: the case keeps its photo, the press is told."""
    await make_grid(services)
    await routing.load_grid_index(services)
    conversation, anna, in_group = Conversation(services), person(64), person(64, place=-6400)
    submit = await complete_draft(conversation, anna)
    cancel = submit.replace(":submit:", ":cancel:")
    discard_draft = intake.discard_draft

    async def sent_first(session: Any, draft: ReportDraft, **kwargs: Any) -> Any:
        await conversation.handle(in_group, Picked(submit))
        return await discard_draft(session, draft, **kwargs)

    monkeypatch.setattr(intake, "discard_draft", sent_first)
    reply = await conversation.handle(anna, Picked(cancel))
    monkeypatch.undo()
    assert alert(services, reply).startswith("There is no report in progress.")
    async with UnitOfWork(services.db) as uow:
        case = (await uow.session.scalars(select(Case))).one()
        assert [p.case_id for p in (await uow.session.scalars(select(Photo))).all()] == [case.id]


async def test_the_evidence_copy_of_a_photo_whose_draft_was_cancelled_is_dropped_quietly(
    services: Services,
) -> None:
    """The copy kept after the answer arrives once /cancel removed the photo: no row, no file, no error."""
    conversation, anna = Conversation(services), person(65)
    got = await conversation.handle(anna, photo())
    assert len(got.later) == 1
    await conversation.handle(anna, Command("cancel", typed="/cancel"))
    await got.later[0]()
    assert await count_of(services, Photo) == 0
    kept = services.data_dir / services.config.reporting.photo_dir
    assert not kept.exists() or [p for p in kept.rglob("*") if p.is_file()] == []


async def test_a_photo_added_while_the_report_is_sent_goes_with_the_case(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Submit read the draft; a further photo of the person's is stored before Submit writes: the case has both."""
    await make_grid(services)
    await routing.load_grid_index(services)
    conversation, anna, in_group = Conversation(services), person(66), person(66, place=-6600)
    submit = await complete_draft(conversation, anna)
    ensure_may_report = intake_submit.ensure_may_report

    async def photo_first(*args: Any) -> None:
        added = await conversation.handle(anna, photo())
        assert shown(services, added)[0] == "📷 Got it: 2/5 photos."
        await ensure_may_report(*args)

    monkeypatch.setattr(intake_submit, "ensure_may_report", photo_first)
    await conversation.handle(in_group, Picked(submit))
    monkeypatch.undo()
    async with UnitOfWork(services.db) as uow:
        case = (await uow.session.scalars(select(Case))).one()
        rows = (await uow.session.scalars(select(Photo))).all()
    assert [(p.case_id, p.draft_id) for p in rows] == [(case.id, None), (case.id, None)]


async def test_a_photo_whose_bytes_the_channel_refuses_is_kept_by_its_id_and_nothing_escapes(
    services: Services,
) -> None:
    """The channel no longer knows the file id (its "wrong file identifier"), for a photo and for an image file:
    the person is answered, the photo is kept by its id for the sweep, and the copy job ends quietly."""

    async def refused() -> bytes | None:
        raise RuntimeError("Bad Request: wrong file identifier/HTTP URL specified")

    conversation, anna = Conversation(services), person(67)
    compressed = replace(photo(), fetch=refused)
    got = await conversation.handle(anna, compressed)
    assert shown(services, got)[0] == "📷 Got it: 1/5 photos."
    for job in got.later:
        await job()
    as_file = replace(photo(), fetch=refused, as_file=True)
    second = await conversation.handle(anna, as_file)
    assert shown(services, second)[0] == "📷 Got it: 2/5 photos."
    async with UnitOfWork(services.db) as uow:
        rows = (await uow.session.scalars(select(Photo).order_by(Photo.id))).all()
    assert [(p.file_id, p.local_path) for p in rows] == [(compressed.file.file_id, None), (as_file.file.file_id, None)]
