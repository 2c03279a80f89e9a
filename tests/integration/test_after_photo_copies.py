"""An officer's after-photo keeps a copy on disk (so a reporter on another channel can be shown it), on both
databases; a photo whose bytes cannot be had is still taken, by its id alone."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from models.cases import Case, Photo, PhotoKind
from models.identities import UserIdentity
from models.status import CaseStatus
from models.uow import UnitOfWork
from models.users import User
from services import cases, routing
from services.context import Services
from services.conversation import ChannelFile, Conversation, Location, Picked, Sender
from services.conversation import Command as CommandEvent
from services.conversation import Photo as PhotoEvent
from services.users import Identity
from tests.integration.test_conversation import person, photo, shown, token
from tests.world import INSIDE, make_grid


async def resolving(services: Services) -> tuple[Conversation, Sender, int]:
    """A case reported through the conversation, whose officer (on Telegram) was asked for the after-photo."""
    officer = await make_grid(services)
    assert officer is not None
    await routing.load_grid_index(services)
    conversation, anna = Conversation(services), person(1)
    got = await conversation.handle(anna, photo())
    await conversation.handle(anna, Picked(token(got, ":0201")))
    note = await conversation.handle(anna, Location(*INSIDE))
    check = await conversation.handle(anna, Picked(token(note, ":skip:1")))
    await conversation.handle(anna, Picked(token(check, "submit:1")))
    async with UnitOfWork(services.db) as uow:
        case_id = int(await uow.session.scalar(select(Case.id)) or 0)
        await cases.start_resolve(services, uow.session, case_id, await uow.session.get(User, officer.id))
        query = select(UserIdentity.external_id).where(UserIdentity.user_id == officer.id)
        external = int(await uow.session.scalar(query) or 0)
        await uow.commit()
    sender = Sender(Identity(external, "Officer", None, "en", channel="telegram"), external, private=True)
    return conversation, sender, case_id


def copies(services: Services) -> list[Path]:
    """The photo copies on disk (the report's own copy is fetched by a later job these tests never run)."""
    return list(services.data_dir.rglob("*.jpg"))


async def proof_rows(services: Services, case_id: int) -> list[Photo]:
    async with UnitOfWork(services.db) as uow:
        query = select(Photo).where(Photo.case_id == case_id, Photo.kind == PhotoKind.PROOF)
        return list(await uow.session.scalars(query))


async def test_an_after_photo_keeps_a_copy_beside_its_channel_file_id(services: Services) -> None:
    conversation, officer, case_id = await resolving(services)
    after = photo()
    expected = await after.fetch()
    got = await conversation.handle(officer, PhotoEvent(after.file, after.fetch, caption="Cleaned up"))
    assert shown(services, got) == ["Case #1 is resolved. The reporter will be asked to confirm."]
    [row] = await proof_rows(services, case_id)
    assert (row.channel, row.file_id) == ("telegram", after.file.file_id)
    assert row.local_path is not None
    assert (services.data_dir / row.local_path).read_bytes() == expected


@pytest.mark.parametrize("data", [None, b"not a picture at all"], ids=["unavailable", "not-an-image"])
async def test_an_after_photo_whose_bytes_cannot_be_kept_is_taken_by_its_id(
    services: Services, data: bytes | None
) -> None:
    conversation, officer, case_id = await resolving(services)

    async def fetch() -> bytes | None:
        return data

    event = PhotoEvent(ChannelFile("tg-after", "u-after", None, 900, 64, 48), fetch, caption="Cleaned up")
    got = await conversation.handle(officer, event)
    assert shown(services, got) == ["Case #1 is resolved. The reporter will be asked to confirm."]
    [row] = await proof_rows(services, case_id)
    assert (row.channel, row.file_id, row.local_path) == ("telegram", "tg-after", None)
    assert not copies(services)


async def test_a_cancelled_after_photo_leaves_no_copy(services: Services) -> None:
    conversation, officer, case_id = await resolving(services)
    asked = await conversation.handle(officer, photo())
    assert "Add a short note for the reporter" in shown(services, asked)[0]
    assert len(copies(services)) == 1
    cancelled = await conversation.handle(officer, CommandEvent("cancel"))
    assert shown(services, cancelled) == [f"Cancelled. Case #{case_id} is unchanged."]
    assert not copies(services)
    async with UnitOfWork(services.db) as uow:
        assert (await uow.session.get(Case, case_id)).status == CaseStatus.ACCEPTED  # type: ignore[union-attr]


async def test_an_after_photo_of_a_case_that_moved_on_leaves_no_copy(services: Services) -> None:
    conversation, officer, case_id = await resolving(services)
    asked = await conversation.handle(officer, photo())
    assert "Add a short note for the reporter" in shown(services, asked)[0]
    assert len(copies(services)) == 1
    async with UnitOfWork(services.db) as uow:  # meanwhile the supervisor closed the case
        case = await uow.session.get(Case, case_id)
        assert case is not None
        case.status = CaseStatus.CLOSED
        await uow.commit()
    refused = await conversation.handle(officer, CommandEvent("skip"))
    assert "resolved" not in shown(services, refused)[0]
    assert not copies(services)  # nobody will see that after-photo: its copy went with the question
    assert await proof_rows(services, case_id) == []
