"""Places typed at the location step, on both databases: coordinates are taken as a point, absurd ones refused."""

from __future__ import annotations

from sqlalchemy import select

from models.cases import ReportDraft
from models.uow import UnitOfWork
from services import routing
from services.context import Services
from services.conversation import Conversation, Picked, Sender, Typed
from tests.integration.test_conversation import person, photo, shown, token
from tests.integration.test_intake_submit import make_grid


async def at_location_step(conversation: Conversation, who: Sender) -> None:
    got = await conversation.handle(who, photo())
    await conversation.handle(who, Picked(token(got, ":0201")))


async def the_draft(services: Services) -> ReportDraft:
    async with UnitOfWork(services.db) as uow:
        draft = (await uow.session.scalars(select(ReportDraft))).first()
    assert draft is not None
    return draft


async def test_typed_coordinates_are_the_place(services: Services) -> None:
    await make_grid(services)
    await routing.load_grid_index(services)
    conversation, anna = Conversation(services), person(61)
    await at_location_step(conversation, anna)
    saved = await conversation.handle(anna, Typed("N39.9100 E116.4000"))
    assert shown(services, saved)[:2] == [
        "📍 Location saved: 39.91000, 116.40000",
        "Add a short note for the officer (at most 500 characters), or tap Skip.",
    ]
    assert saved.end_location
    draft = await the_draft(services)
    assert (draft.lat, draft.lon, draft.address, draft.location_source) == (39.91, 116.4, None, "coordinates")


async def test_longitude_first_is_read_and_said(services: Services) -> None:
    await make_grid(services)
    await routing.load_grid_index(services)
    conversation, li = Conversation(services), person(62, "zh-hans")
    await at_location_step(conversation, li)
    saved = await conversation.handle(li, Typed("116.4000,39.9100"))
    assert shown(services, saved)[:2] == [
        "已将「116.4000,39.9100」按“经度, 纬度”的顺序读取。",
        "📍 位置已记录：39.91000, 116.40000",
    ]
    draft = await the_draft(services)
    assert (draft.lat, draft.lon) == (39.91, 116.4)


async def test_absurd_coordinates_are_refused_and_nothing_is_lost(services: Services) -> None:
    conversation, anna = Conversation(services), person(63)
    await at_location_step(conversation, anna)
    refused = await conversation.handle(anna, Typed("95.5, 116.4"))
    assert shown(services, refused) == [
        "«95.5, 116.4» is written like coordinates, but no place has them: the latitude must be between -90 and 90, "
        "the longitude between -180 and 180, and not both 0. Type them latitude first, like «39.9289, 116.4174», or "
        "share the location with the button."
    ]
    draft = await the_draft(services)
    assert (draft.category, draft.lat, len(draft.photos)) == ("0201", None, 1)
