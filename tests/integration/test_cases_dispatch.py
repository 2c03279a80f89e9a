"""Dispatch: a routed case reaches exactly its unit's officers; unrouted and officer-less cases reach supervisors.

Also home of the small world the other case tests build on (units, officers, supervisors, a reporter).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from channels.telegram import CHANNEL as TELEGRAM
from models.cases import Case, CaseFollower, Photo, PhotoKind, RoutedBy
from models.grid import BindingRole, UnitLevel
from models.identities import UserIdentity
from models.outbox import OutboxMessage
from models.status import CaseStatus
from models.uow import UnitOfWork
from models.users import Role, User
from services import cases
from services.context import Services
from services.delivery import FALLBACK_LOCALE
from services.i18n import Translator, locale_for
from services.messages import Message, from_json, render_lines
from services.routing import RouteDecision
from tests.world import build

REPORTER_NAME, REPORTER_USERNAME, REPORTER_TG = "Xiaoming-Secret", "secret_reporter", 770001

# Unit tree: D1 > S1 > C1 > {G1, G2};  D1 > S1 > C2 > G3 (no officers).  Centroids ~1 km apart.
UNITS = [
    ("D1", UnitLevel.DISTRICT, None, 39.90, 116.40),
    ("S1", UnitLevel.STREET, "D1", 39.90, 116.40),
    ("C1", UnitLevel.COMMUNITY, "S1", 39.90, 116.40),
    ("C2", UnitLevel.COMMUNITY, "S1", 39.95, 116.45),
    ("G1", UnitLevel.GRID, "C1", 39.900, 116.400),
    ("G2", UnitLevel.GRID, "C1", 39.901, 116.410),
    ("G3", UnitLevel.GRID, "C2", 39.950, 116.450),
]
CHAINS = {"G1": ("G1", "C1", "S1", "D1"), "G2": ("G2", "C1", "S1", "D1"), "G3": ("G3", "C2", "S1", "D1")}


@dataclass
class World:
    """Ids of the people in the test city (officers bound to grids, supervisors above them)."""

    services: Services
    reporter: int
    follower: int
    officer_a: int  # G1, reads Chinese
    officer_b: int  # G1, reads English
    officer_c: int  # G2
    community: int  # supervisor of C1
    district: int  # supervisor of D1
    admin: int
    citizen: int  # nobody in particular


async def build_world(services: Services) -> World:
    """Create the unit tree, the staff and a reporter."""
    specs = [
        ("reporter", REPORTER_TG, REPORTER_NAME, REPORTER_USERNAME, "zh_CN", Role.CITIZEN),
        ("follower", 770002, "Follower", None, "en", Role.CITIZEN),
        ("officer_a", 770010, "Wang", "wang_officer", "zh_CN", Role.OFFICER),
        ("officer_b", 770011, "Brown", None, "en", Role.OFFICER),
        ("officer_c", 770012, "Chen", None, "en", Role.OFFICER),
        ("community", 770020, "Community boss", None, "en", Role.SUPERVISOR),
        ("district", 770021, "District boss", None, "zh_CN", Role.SUPERVISOR),
        ("admin", 770030, "Admin", None, "en", Role.ADMIN),
        ("citizen", 770040, "Nosy", None, "en", Role.CITIZEN),
    ]
    bindings = [
        ("officer_a", "G1", BindingRole.OFFICER, "网格员王"),
        ("officer_b", "G1", BindingRole.OFFICER, "Officer Brown"),
        ("officer_c", "G2", BindingRole.OFFICER, "Officer Chen"),
        ("community", "C1", BindingRole.SUPERVISOR, "Community lead"),
        ("district", "D1", BindingRole.SUPERVISOR, "区值班长"),
    ]
    async with build(services) as city:
        for unit_id, level, parent, lat, lon in UNITS:
            await city.unit(unit_id, f"Unit {unit_id}", level, parent, centroid=(lat, lon))
        people: dict[str, User] = {}
        for key, tg, name, username, lang, role in specs:
            people[key] = await city.person(tg, name, username=username, language=lang, role=role)
        for key, unit, binding, display in bindings:
            await city.bind(people[key], unit, binding, display)
    return World(services, **{key: person.id for key, person in people.items()})


async def new_case(world: World, unit: str | None = "G1", photos: int = 1, note: str | None = None) -> int:
    """A reported case with photos and a follower, dispatched to ``unit`` (None: unrouted)."""
    services = world.services
    now = services.clock.now()
    async with UnitOfWork(services.db) as uow:
        s = uow.session
        case = Case(
            reporter_id=world.reporter,
            category="0201",
            lat=39.9001,
            lon=116.4001,
            status=CaseStatus.SUBMITTED,
            reported_at=now,
            note=note,
            address="东城区 东四北大街 1号",
        )
        for n in range(photos):
            case.photos.append(Photo(kind=PhotoKind.REPORT, file_id=f"before-{n}", created_at=now))
        s.add(case)
        await s.flush()
        s.add(CaseFollower(case_id=case.id, user_id=world.follower))
        if unit is None:
            decision = RouteDecision(None, (), RoutedBy.UNROUTED)
        else:
            decision = RouteDecision(unit, CHAINS[unit], RoutedBy.INSIDE)
        await cases.dispatch(services, s, case, decision)
        await uow.commit()
        return case.id


async def act(world: World, action: Callable[..., Awaitable[Any]], case_id: int, user_id: int, *args: Any) -> Any:
    """Run a case action as ``user_id`` in its own committed transaction."""
    async with UnitOfWork(world.services.db) as uow:
        user = await uow.session.get(User, user_id)
        result = await action(world.services, uow.session, case_id, user, *args)
        await uow.commit()
        return result


async def load(world: World, case_id: int) -> Case:
    """The case as stored now."""
    async with UnitOfWork(world.services.db) as uow:
        case = await uow.session.get(Case, case_id)
        assert case is not None
        return case


async def outbox(world: World, **where: Any) -> list[OutboxMessage]:
    """Outbox rows matching column values, in id order."""
    async with UnitOfWork(world.services.db) as uow:
        query = select(OutboxMessage).filter_by(**where).order_by(OutboxMessage.id)
        return list(await uow.session.scalars(query))


async def chat_ids(world: World, **where: Any) -> set[str]:
    """Telegram chats (addresses) that got outbox rows matching ``where``."""
    rows = await outbox(world, **where)
    assert all(row.channel == TELEGRAM for row in rows)
    return {row.address for row in rows}


async def tg(world: World, user_id: int) -> str:
    """A user's Telegram chat (the address of their notices there)."""
    async with UnitOfWork(world.services.db) as uow:
        query = select(UserIdentity.external_id).where(
            UserIdentity.user_id == user_id, UserIdentity.channel == TELEGRAM
        )
        found = await uow.session.scalar(query)
        assert found is not None
        return found


def message(row: OutboxMessage) -> Message:
    """An outbox row's channel-neutral message."""
    return from_json(row.payload)


def buttons(row: OutboxMessage) -> list[str]:
    """The action tokens a row offers, in reading order."""
    return message(row).choice_tokens()


def is_text(row: OutboxMessage) -> bool:
    """Whether a row is a plain message (no photos, no map pin): a card, a notice."""
    found = message(row)
    return not found.photos and found.location is None


async def shown(world: World, row: OutboxMessage) -> str:
    """The row's text (a photo's caption) as its recipient reads it: in their language at delivery."""
    locale = FALLBACK_LOCALE
    if row.user_id is not None:
        async with UnitOfWork(world.services.db) as uow:
            user = await uow.session.get(User, row.user_id)
            assert user is not None
            locale = locale_for(user.language or user.channel_language)
    return render_lines(world.services, message(row).lines, Translator(locale))


async def photo_files(world: World, row: OutboxMessage) -> list[str]:
    """The Telegram file ids of the photos a row shows, in order."""
    async with UnitOfWork(world.services.db) as uow:
        found = []
        for ref in message(row).photos:
            assert ref.photo_id is not None
            photo = await uow.session.get(Photo, ref.photo_id)
            assert photo is not None and photo.file_id is not None
            found.append(photo.file_id)
        return found


# ---------------------------------------------------------------- tests
async def test_assignment_reaches_exactly_the_units_officers(services: Services) -> None:
    world = await build_world(services)
    case_id = await new_case(world)
    a, b = await tg(world, world.officer_a), await tg(world, world.officer_b)
    assert await chat_ids(world, case_id=case_id) == {a, b}
    rows = await outbox(world, address=a)
    photo, pin, card = (message(row) for row in rows)  # a photo, a map pin, then the card with its choices
    assert await photo_files(world, rows[0]) == ["before-0"] and photo.lines and photo.location is None
    assert pin == Message(location=(39.9001, 116.4001))
    assert card.lines and not card.photos and card.location is None
    assert buttons(rows[2]) == [f"case:accept:{case_id}", f"case:resolve:{case_id}", f"case:return:{case_id}"]
    case = await load(world, case_id)
    assert case.status == CaseStatus.DISPATCHED and case.unit_id == "G1" and case.chain == "G1>C1>S1>D1"
    assert case.due_at is not None and case.due_at > case.dispatched_at  # type: ignore[operator]


async def test_caption_is_in_each_officers_language_with_local_deadline(services: Services) -> None:
    world = await build_world(services)
    await new_case(world)
    zh = await shown(world, (await outbox(world, address=await tg(world, world.officer_a)))[0])
    en = await shown(world, (await outbox(world, address=await tg(world, world.officer_b)))[0])
    # Monday 10:00 Beijing + 1 working day (8 working hours) = Tuesday 10:00 local time.
    assert zh.startswith("案件 #1：非法小广告") and "2026-11-17 10:00" in zh and "东四北大街" in zh
    assert en.startswith("Case #1: Illegal small ads") and "Deadline: 2026-11-17 10:00" in en


async def test_officer_messages_never_carry_the_reporters_identity(services: Services) -> None:
    world = await build_world(services)
    await new_case(world, photos=2, note="poster on the lamp post")
    staff = {await tg(world, uid) for uid in (world.officer_a, world.officer_b)}
    rows = [r for r in await outbox(world) if r.address in staff]
    assert rows
    for row in rows:
        for seen in (row.payload, await shown(world, row)):
            assert REPORTER_NAME not in seen and REPORTER_USERNAME not in seen
            assert str(REPORTER_TG) not in seen


async def test_an_album_goes_as_one_media_group_with_the_caption_on_the_first_photo(services: Services) -> None:
    world = await build_world(services)
    await new_case(world, photos=3)
    first = (await outbox(world, address=await tg(world, world.officer_b)))[0]
    # One message with all three photos (an album) and one caption.
    assert await photo_files(world, first) == ["before-0", "before-1", "before-2"]
    assert (await shown(world, first)).startswith("Case #1: Illegal small ads")


async def test_unrouted_case_waits_for_district_supervisors_and_admins(services: Services) -> None:
    world = await build_world(services)
    case_id = await new_case(world, unit=None)
    case = await load(world, case_id)
    assert case.status == CaseStatus.UNROUTED and case.due_at is None
    told = await chat_ids(world, kind="case_supervisor")
    assert told == {await tg(world, world.district), await tg(world, world.admin)}
    assert await tg(world, world.community) not in await chat_ids(world)


async def test_unit_without_officers_still_dispatches_and_tells_the_nearest_supervisors(services: Services) -> None:
    world = await build_world(services)
    case_id = await new_case(world, unit="G3")
    case = await load(world, case_id)
    assert case.status == CaseStatus.DISPATCHED and case.due_at is not None
    # Nobody supervises G3 or C2 or S1: the district supervisor is the nearest one up the chain.
    assert await chat_ids(world, case_id=case_id) == {await tg(world, world.district)}
    text = await shown(world, (await outbox(world, case_id=case_id))[-1])
    assert "没有绑定网格员" in text


async def test_supervisor_buttons_offer_only_what_the_status_allows(services: Services) -> None:
    world = await build_world(services)
    unrouted = await new_case(world, unit=None)
    orphan = await new_case(world, unit="G3")

    async def offered(case_id: int) -> list[str]:
        card = (await outbox(world, case_id=case_id))[-1]
        return buttons(card)

    # The case lies inside G1's box: the grids nearest to it are offered first.
    assert await offered(unrouted) == [
        f"case:assign:{unrouted}:G1",
        f"case:assign:{unrouted}:G2",
        f"case:assign:{unrouted}:G3",
        f"case:reject:{unrouted}",
    ]
    assert await offered(orphan) == [f"case:assign:{orphan}:G1", f"case:assign:{orphan}:G2"]
