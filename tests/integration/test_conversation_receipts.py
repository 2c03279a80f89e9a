"""A channel's redelivered message (WeChat posts again when its first post got no answer in time) is taken in once,
on both databases: its key is claimed in the transaction of what the message changed."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select

from models.cases import Photo
from models.receipts import InboundReceipt
from models.uow import UnitOfWork
from services.context import Services
from services.conversation import Conversation, Reply
from services.conversation import service as conversation_service
from tests.integration.test_conversation import person, photo, shown


async def photos_kept(services: Services) -> int:
    async with UnitOfWork(services.db) as uow:
        return int(await uow.session.scalar(select(func.count()).select_from(Photo)) or 0)


async def receipts(services: Services) -> list[str]:
    async with UnitOfWork(services.db) as uow:
        return list(await uow.session.scalars(select(InboundReceipt.key)))


async def test_a_redelivered_photo_is_added_once_and_answered_once(services: Services) -> None:
    conversation, anna = Conversation(services), person(1)
    first = photo()
    got = await conversation.handle(anna, first, receipt="msg:7001")
    assert "What kind of problem" in " ".join(shown(services, got))
    again = await conversation.handle(anna, first, receipt="msg:7001")
    assert shown(services, again) == []  # taken in already: nothing changes, nothing is said
    assert await photos_kept(services) == 1
    other = await conversation.handle(anna, photo(), receipt="msg:7002")  # a new message is taken in
    assert shown(services, other) != []
    assert await photos_kept(services) == 2
    assert sorted(await receipts(services)) == ["msg:7001", "msg:7002"]


async def test_a_delivery_that_failed_before_committing_is_taken_in_when_posted_again(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    conversation, anna = Conversation(services), person(1)
    first = photo()
    real = conversation_service._dispatch

    async def dies_after_the_work(*args: object) -> Reply:
        await real(*args)  # type: ignore[arg-type]
        raise ConnectionError("the process died before committing")

    monkeypatch.setattr(conversation_service, "_dispatch", dies_after_the_work)
    with pytest.raises(ConnectionError):
        await conversation.handle(anna, first, receipt="msg:7101")
    assert await receipts(services) == [] and await photos_kept(services) == 0  # nothing of it was kept
    monkeypatch.setattr(conversation_service, "_dispatch", real)
    got = await conversation.handle(anna, first, receipt="msg:7101")  # WeChat's next post
    assert "What kind of problem" in " ".join(shown(services, got))
    assert await photos_kept(services) == 1


async def test_two_deliveries_of_one_message_at_once_have_one_effect(services: Services) -> None:
    conversation, anna = Conversation(services), person(1)
    first, second = await asyncio.gather(
        conversation.handle(anna, photo(), receipt="msg:7201"),
        Conversation(services).handle(anna, photo(), receipt="msg:7201"),
    )
    answered = [reply for reply in (first, second) if shown(services, reply)]
    assert len(answered) == 1
    assert await photos_kept(services) == 1
