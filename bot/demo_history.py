"""Three weeks of cases before the demo starts, in every status, each with its history of events.

The cases are played through ``transition()`` at past moments, exactly as the bot would have moved them, so
/my, /tasks and the weekly summary read real histories. Open cases are marked as already notified up to now:
the demo starts quiet and only what falls due while someone watches produces reminders and escalations.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from sqlalchemy import select

from bot.demo_district import GridCell, cell_polygon, grid_cells
from bot.demo_people import PERSONAS, Person, neighbours, staff
from channels.telegram import CHANNEL as TELEGRAM
from models.cases import Case, CaseEvent, CaseFollower, Photo, PhotoKind, RoutedBy
from models.identities import UserIdentity
from models.status import OPEN_STATUSES, CaseStatus, transition
from models.uow import UnitOfWork
from services import deadlines
from services.context import Services

S = CaseStatus
_QUIET_BEFORE_START = timedelta(hours=26)
_CATEGORIES = {"0201": 30, "0102": 15, "0506": 15, "0505": 10, "0504": 8, "0507": 8, "0103": 7, "0204": 4, "99": 3}
_NOTES = (
    "电线杆上贴满了小广告",
    "垃圾桶满了，垃圾撒了一地",
    "共享单车堵住了盲道",
    "Car parked across the crossing",
    "门口堆了很多装修材料",
    "Flyers stuck all over the bus stop",
    None,
    None,
    None,
)
_EARLY_FATES = ("closed",) * 16 + ("rework", "returned", "rejected", "duplicate", "overdue", "late")
_RECENT_FATES = (
    "dispatched",
    "dispatched",
    "accepted",
    "accepted",
    "accepted",
    "resolved",
    "resolved",
    "rework_open",
    "suspended",
    "returned_open",
    "closed",
    "closed",
    "late",
)


class _World:
    """Users by role, for playing cases through."""

    def __init__(self, ids: dict[int, int]) -> None:
        self.ids = ids
        officers = [p for p in PERSONAS + staff() if p.kind == "officer"]
        self.officer_of = {unit: ids[p.telegram_id] for p in officers for unit in p.units}
        self.supervisor = ids[next(p for p in PERSONAS if p.kind == "supervisor").telegram_id]
        # The Telegram personas: the WeChat one starts with no reports of her own.
        reporters: list[Person] = [p for p in PERSONAS if p.kind in ("citizen", "volunteer") and p.openid is None]
        self.reporters = [ids[p.telegram_id] for p in [*reporters, *reporters[1:] * 3, *neighbours()]]
        self.locale = {
            ids[p.telegram_id]: "zh_CN" if p.language.startswith("zh") else "en" for p in [*reporters, *neighbours()]
        }


async def seed_history(services: Services, photo_ids: list[str], count: int = 72) -> int:
    """Play ``count`` cases through the last three weeks; returns how many were stored."""
    rng = random.Random(2026)
    now = services.clock.now()
    cells = grid_cells()
    weights = [4 if c.community.id in ("DC-DS-DB", "DC-DS-LT", "DC-CYM-SJ", "DC-CYM-NW") else 1 for c in cells]
    async with UnitOfWork(services.db) as uow:
        rows = await uow.session.execute(
            select(UserIdentity.external_id, UserIdentity.user_id).where(UserIdentity.channel == TELEGRAM)
        )
        world = _World({int(external_id): user_id for external_id, user_id in rows})
        stored: list[Case] = []
        for number in range(count):
            # A third of the cases came in over the last days and are still being worked on.
            recent = rng.random() < 0.35
            age = timedelta(days=rng.uniform(1.1, 2.5) if recent else rng.uniform(2.5, 21))
            fate = rng.choice(_RECENT_FATES if recent else _EARLY_FATES)
            cell = rng.choices(cells, weights)[0]
            case = _report(services, rng, world, cell, _daytime(services, now - age, rng, now))
            uow.session.add(case)
            await uow.session.flush()
            uow.session.add(CaseFollower(case_id=case.id, user_id=case.reporter_id))
            _photo(case, rng, photo_ids, PhotoKind.REPORT, case.reporter_id, case.reported_at)
            parent = stored[-1] if stored and fate == "duplicate" else None
            _play(services, rng, world, case, cell, fate, parent, photo_ids, now)
            stored.append(case)
            if number % 24 == 23:
                await uow.session.flush()
        await uow.commit()
    return len(stored)


def _daytime(services: Services, moment: datetime, rng: random.Random, now: datetime) -> datetime:
    """A believable hour (people report between 7:00 and 20:00) on the day of ``moment``, or a day earlier.

    Never within 26 hours of ``now``: a report the visitor makes must not be linked as a duplicate of a seeded one.
    """
    local = moment.astimezone(services.tz)
    at = local.replace(hour=rng.randint(7, 19), minute=rng.randint(0, 59)).astimezone(moment.tzinfo)
    while at > now - _QUIET_BEFORE_START:
        at -= timedelta(days=1)
    return at


def _report(services: Services, rng: random.Random, world: _World, cell: GridCell, at: datetime) -> Case:
    reporter = rng.choice(world.reporters)
    minx, miny, maxx, maxy = cell_polygon(cell.row, cell.col).bounds
    lat, lon = miny + (maxy - miny) * rng.uniform(0.3, 0.7), minx + (maxx - minx) * rng.uniform(0.3, 0.7)
    case = Case(
        reporter_id=reporter,
        category=rng.choices(list(_CATEGORIES), list(_CATEGORIES.values()))[0],
        status=S.SUBMITTED,
        lat=round(lat, 6),
        lon=round(lon, 6),
        note=rng.choice(_NOTES),
        address=cell.name,
        language=world.locale[reporter],
        reported_at=at,
        # Both collections start loaded, so appending to them later never triggers a lazy load.
        events=[CaseEvent(at=at, actor_id=reporter, from_status=None, to_status=S.SUBMITTED, action="report")],
        photos=[],
    )
    return case


def _photo(case: Case, rng: random.Random, ids: list[str], kind: PhotoKind, by: int | None, at: datetime) -> None:
    if ids:
        case.photos.append(
            Photo(kind=kind, channel=TELEGRAM, file_id=rng.choice(ids), uploaded_by_id=by, created_at=at)
        )


def _play(
    services: Services,
    rng: random.Random,
    world: _World,
    case: Case,
    cell: GridCell,
    fate: str,
    parent: Case | None,
    photo_ids: list[str],
    now: datetime,
) -> None:
    """Move a reported case along the path its ``fate`` names, never past ``now``."""
    at = case.reported_at
    if fate == "rejected":
        transition(
            case,
            S.REJECTED,
            at=at + timedelta(hours=1),
            actor_id=world.supervisor,
            action="reject",
            note="照片与描述不符 / photo does not show a problem",
        )
        return
    if fate == "duplicate" and parent is not None:
        case.parent_case_id = parent.id
        transition(case, S.DUPLICATE, at=at, actor_id=case.reporter_id, action="duplicate", note=parent.number)
        return
    officer = world.officer_of[cell.community.id]
    at = _dispatch(services, case, cell, at + timedelta(minutes=1))
    if fate in ("returned", "returned_open"):
        at += timedelta(minutes=rng.randint(20, 90))
        transition(case, S.RETURNED, at=at, actor_id=officer, action="return", note="不在本网格范围 / not in our grid")
        case.return_count += 1
        if fate == "returned_open":
            return
        at = _dispatch(services, case, cell, at + timedelta(hours=2), actor=world.supervisor)
    if fate == "dispatched":
        _settle(services, case, now)
        return
    at += timedelta(minutes=rng.randint(5, 150))
    transition(case, S.ACCEPTED, at=at, actor_id=officer, action="accept")
    case.owner_id = officer
    if fate == "suspended":
        transition(
            case,
            S.SUSPENDED,
            at=at + timedelta(hours=1),
            actor_id=officer,
            action="suspend",
            note="需要产权单位配合 / waiting for the property owner",
        )
    if fate in ("accepted", "overdue", "suspended"):
        _settle(services, case, now)
        return
    late = fate == "late"
    at = _resolve(services, rng, case, officer, photo_ids, late, now)
    if fate in ("rework", "rework_open"):
        at += timedelta(hours=rng.uniform(1, 5))
        transition(case, S.REWORK, at=at, actor_id=case.reporter_id, action="rework", note="还没清理干净")
        case.rework_count += 1
        case.satisfied = False
        deadlines.start_clock(services, case, at)
        if fate == "rework_open":
            _settle(services, case, now)
            return
        at = _resolve(services, rng, case, officer, photo_ids, False, now)
    if fate == "resolved" or at + timedelta(hours=2) > now:
        _settle(services, case, now)
        return
    case.satisfied = rng.random() < 0.85
    transition(
        case, S.CLOSED, at=at + timedelta(hours=rng.uniform(0.5, 20)), actor_id=case.reporter_id, action="confirm"
    )
    case.closed_on_time = case.resolved_at is not None and case.due_at is not None and case.resolved_at <= case.due_at
    case.next_check_at = None


def _dispatch(services: Services, case: Case, cell: GridCell, at: datetime, actor: int | None = None) -> datetime:
    case.unit_id = cell.id
    case.chain = ">".join([cell.id, cell.community.id, cell.street.id, "DC"])
    case.routed_by = RoutedBy.INSIDE if actor is None else RoutedBy.MANUAL
    transition(case, S.DISPATCHED, at=at, actor_id=actor, action="dispatch")
    deadlines.start_clock(services, case, at)
    return at


def _resolve(
    services: Services, rng: random.Random, case: Case, officer: int, photo_ids: list[str], late: bool, now: datetime
) -> datetime:
    assert case.clock_started_at is not None and case.due_at is not None
    allowed = case.due_at - case.clock_started_at
    at = case.clock_started_at + allowed * (rng.uniform(1.2, 2.5) if late else rng.uniform(0.2, 0.9))
    at = min(at, now - timedelta(hours=1))
    transition(case, S.RESOLVED, at=at, actor_id=officer, action="resolve")
    _photo(case, rng, photo_ids, PhotoKind.PROOF, officer, at)
    return at


def _settle(services: Services, case: Case, now: datetime) -> None:
    """Mark every notice already due as sent, so the demo does not replay three weeks of reminders at start."""
    if case.status in OPEN_STATUSES:
        actions = [a for a in deadlines.due_actions(services, case, now) if a.kind != "close"]
        deadlines.mark_done(case, actions, now)
        deadlines.plan_next_check(services, case, now)
