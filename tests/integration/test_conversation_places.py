"""Places at the location step, on both databases.

Coordinates typed as text are taken as a point and absurd ones refused; a place far outside the city's area is
asked about (use it anyway, or send another) while one near it but outside every grid is taken as before.
"""

from __future__ import annotations

from sqlalchemy import select

from models.cases import Case, ReportDraft
from models.status import CaseStatus
from models.uow import UnitOfWork
from services import routing
from services.context import Services
from services.conversation import Conversation, Location, Picked, Reply, Sender, Typed
from tests.integration.test_conversation import person, photo, shown, token
from tests.integration.test_intake_submit import INSIDE, make_grid


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


# ---------------------------------------------------------------- places far outside the city
PARIS = "48.8584, 2.2945"
NEAR = (39.9400, 116.4000)  # no grid covers it, about 2 km north of G-1


def tokens_of(reply: Reply) -> list[str]:
    return [tok for message in reply.messages for tok in message.choice_tokens()]


async def test_a_place_far_outside_the_city_is_asked_about_and_can_be_used(services: Services) -> None:
    await make_grid(services)
    await routing.load_grid_index(services)
    conversation, anna = Conversation(services), person(71)
    await at_location_step(conversation, anna)
    asked = await conversation.handle(anna, Typed(PARIS))
    [question] = shown(services, asked)
    assert question.startswith("📍 48.85840, 2.29450 is outside the city's area, about 8,2")
    assert question.endswith(" km from it. Reports here go to the city's grid officers: is this the right place?")
    draft = await the_draft(services)
    assert draft.location_source == "far:coordinates" and draft.step == "location"
    use, other = tokens_of(asked)
    assert (use, other) == (f"draft:far:{draft.id}", f"draft:move:{draft.id}")
    assert not asked.end_location  # the location control stays for another place
    used = await conversation.handle(anna, Picked(use))
    assert used.edit is not None and shown(services, used)[:2] == [
        "📍 Location saved: 48.85840, 2.29450",
        "Add a short note for the officer (at most 500 characters), or tap Skip.",
    ]
    again = await conversation.handle(anna, Picked(use))
    assert again.alert is not None and again.edit is None
    check = await conversation.handle(anna, Picked(token(used, ":skip:" + str(draft.id))))
    done = await conversation.handle(anna, Picked(token(check, f"submit:{draft.id}")))
    assert done.edit is not None and done.edit.lines is not None
    async with UnitOfWork(services.db) as uow:
        [case] = list(await uow.session.scalars(select(Case)))
    assert (case.status, case.lat, case.lon) == (CaseStatus.UNROUTED, 48.8584, 2.2945)


async def test_another_location_instead_of_the_far_one(services: Services) -> None:
    await make_grid(services)
    await routing.load_grid_index(services)
    conversation, li = Conversation(services), person(72, "zh-hans")
    await at_location_step(conversation, li)
    asked = await conversation.handle(li, Location(31.2304, 121.4737))  # Shanghai, for a Beijing grid
    assert shown(services, asked)[0].startswith("📍 31.23040, 121.47370 在本市辖区范围之外，距离辖区约 1,0")
    _, other = tokens_of(asked)
    moved = await conversation.handle(li, Picked(other))
    assert moved.edit is not None and moved.messages[0].ask_location
    assert shown(services, moved)[0].startswith("问题在哪里？")
    draft = await the_draft(services)
    assert (draft.lat, draft.lon, draft.location_source) == (None, None, None)
    saved = await conversation.handle(li, Location(*INSIDE))
    assert shown(services, saved)[0] == "📍 位置已记录：39.91000, 116.40000"
    stale = await conversation.handle(li, Picked(other))
    assert stale.alert is not None and stale.edit is None
    assert (await the_draft(services)).lat == INSIDE[0]


async def test_a_place_near_the_city_but_outside_every_grid_is_not_asked_about(services: Services) -> None:
    await make_grid(services)
    await routing.load_grid_index(services)
    conversation, anna = Conversation(services), person(73)
    await at_location_step(conversation, anna)
    saved = await conversation.handle(anna, Location(*NEAR))
    assert shown(services, saved)[0] == "📍 Location saved: 39.94000, 116.40000" and saved.end_location
    assert (await the_draft(services)).location_source == "location"


async def test_without_any_unit_nothing_is_far(services: Services) -> None:
    conversation, anna = Conversation(services), person(74)
    await at_location_step(conversation, anna)
    saved = await conversation.handle(anna, Typed(PARIS))
    assert shown(services, saved)[0] == "📍 Location saved: 48.85840, 2.29450"


async def test_the_photos_position_far_away_is_asked_about_too(services: Services) -> None:
    await make_grid(services)
    await routing.load_grid_index(services)
    conversation, anna = Conversation(services), person(75)
    await at_location_step(conversation, anna)
    draft = await the_draft(services)
    async with UnitOfWork(services.db) as uow:
        row = await uow.session.get(ReportDraft, draft.id)
        assert row is not None
        row.exif_lat, row.exif_lon = 48.8584, 2.2945  # a holiday photo
        await uow.commit()
    asked = await conversation.handle(anna, Picked(f"draft:exif:{draft.id}"))
    assert "outside the city's area" in shown(services, asked)[0]
    assert tokens_of(asked) == [f"draft:far:{draft.id}", f"draft:move:{draft.id}"]
    assert (await the_draft(services)).location_source == "far:exif"
