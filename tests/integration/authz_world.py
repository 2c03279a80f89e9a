"""The world the authorisation matrix runs in: a district with two communities, one person per role, cases and
drafts made to order in any state, and a snapshot of every row an action could change.

Everything is made through the real services (``file_case``, ``accept``, ``resolve`` ...), on the database the
test runs on; people exist because they wrote ``/start`` through the conversation service, as they would.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from itertools import count
from typing import Any

from shapely import box
from sqlalchemy import text, update

from models.cases import CaseFollower, ReportDraft
from models.grid import BindingRole, UnitLevel
from models.status import CaseStatus
from models.uow import UnitOfWork
from models.users import Role, User
from services import cases, routing
from services.cases import ProofPhoto
from services.context import Services
from services.conversation import Command, Conversation, Event, Reply, Sender
from services.grids import save_unit
from services.i18n import Translator
from services.intake import add_photo, set_category, set_location, skip_note
from services.intake_submit import NewReport, file_case
from services.messages import render_line
from services.officers import bind
from services.photos import IncomingPhoto
from services.users import user_by_identity
from tests.integration.test_conversation import person, shown

S = CaseStatus


class R(enum.StrEnum):
    """The roles of the matrix, as a person relates to the case (or draft) the action names."""

    STRANGER = "stranger"  # never wrote to the bot before this action
    CITIZEN = "citizen"  # a known person with nothing to do with the case
    REPORTER = "reporter"  # reported the case (owns the draft)
    FOLLOWER = "follower"  # reported a duplicate of it, so follows it
    OFFICER = "officer of the unit"  # bound as officer to the case's grid G-1
    OTHER_OFFICER = "officer of another unit"  # bound as officer to G-2
    SUPERVISOR = "supervisor above"  # supervisor of community C-1, above G-1
    OTHER_SUPERVISOR = "supervisor elsewhere"  # supervisor of community C-2, above G-2 only
    ADMIN = "admin"
    BANNED = "banned"  # reported the case (owns the draft), then was banned


ALL = frozenset(R)
INSIDE_G1 = (39.9000, 116.3900)  # south-west corner of G-1; cases are spread north-east from here
OUTSIDE = (31.2304, 121.4737)  # no grid anywhere near: unrouted
SNAPSHOT_TABLES = (
    "cases",
    "case_events",
    "case_followers",
    "photos",
    "report_drafts",
    "pending_inputs",
    "outbox",
    "subscriptions",
    "officer_bindings",
    "album_replies",
)
_places = count(0)
_strangers = count(900_000)
_CATEGORIES = ("0201", "0102", "0103", "0507", "99")


@dataclass
class World:
    """The services, the conversation and the people, by role."""

    services: Services
    conversation: Conversation
    senders: dict[R, Sender] = field(default_factory=dict)
    users: dict[R, int] = field(default_factory=dict)

    def sender(self, role: R) -> Sender:
        """Who acts for ``role``; a stranger is someone new every time."""
        if role is R.STRANGER:
            return person(next(_strangers))
        return self.senders[role]

    async def act(self, role: R, event: Event) -> Reply:
        """``role`` does ``event`` through the conversation service."""
        return await self.conversation.handle(self.sender(role), event)

    def said(self, reply: Reply) -> str:
        """Everything the reply shows, alert and toast included, as one text."""
        lines = shown(self.services, reply)
        t = Translator(reply.locale)
        for extra in (reply.alert, reply.toast):
            if extra is not None:
                lines.append(render_line(self.services, extra, t))
        if reply.edit is not None and reply.edit.lines:
            lines += [render_line(self.services, line, t) for line in reply.edit.lines]
        return "\n".join(lines)


async def build_world(services: Services) -> World:
    """District D-1 > street S-1 > communities C-1 (grid G-1) and C-2 (grid G-2); one person per role."""
    now = services.clock.now()
    async with UnitOfWork(services.db) as uow:
        units = (
            ("D-1", "东城区", UnitLevel.DISTRICT, None, box(116.30, 39.80, 116.50, 40.00)),
            ("S-1", "东华门街道", UnitLevel.STREET, "D-1", box(116.30, 39.80, 116.50, 40.00)),
            ("C-1", "东华门社区", UnitLevel.COMMUNITY, "S-1", box(116.38, 39.89, 116.42, 39.93)),
            ("G-1", "东华门网格一", UnitLevel.GRID, "C-1", box(116.39, 39.90, 116.41, 39.92)),
            ("C-2", "景山社区", UnitLevel.COMMUNITY, "S-1", box(116.42, 39.89, 116.46, 39.93)),
            ("G-2", "景山网格一", UnitLevel.GRID, "C-2", box(116.43, 39.90, 116.45, 39.92)),
        )
        for unit_id, name, level, parent, shape in units:
            await save_unit(
                uow.session, unit_id=unit_id, name=name, level=level, now=now, parent_id=parent, geometry=shape
            )
        await uow.commit()
    await routing.load_grid_index(services)
    world = World(services, Conversation(services))
    for number, role in enumerate(r for r in R if r is not R.STRANGER):
        sender = person(100 + number)
        world.senders[role] = sender
        await world.conversation.handle(sender, Command("start", typed="/start"))
    async with UnitOfWork(services.db) as uow:
        rows = {role: await _user_of(uow.session, sender) for role, sender in world.senders.items()}
        world.users = {role: user.id for role, user in rows.items()}
        bindings = (
            (R.OFFICER, "G-1", BindingRole.OFFICER, "王"),
            (R.OTHER_OFFICER, "G-2", BindingRole.OFFICER, "赵"),
            (R.SUPERVISOR, "C-1", BindingRole.SUPERVISOR, "孙"),
            (R.OTHER_SUPERVISOR, "C-2", BindingRole.SUPERVISOR, "钱"),
        )
        for role, unit_id, binding, name in bindings:
            await bind(uow.session, rows[role], unit_id, now=now, role=binding, display_name=name)
        rows[R.ADMIN].role = Role.ADMIN
        await uow.commit()
    return world


async def _user_of(session: Any, sender: Sender) -> User:
    user = await user_by_identity(session, *sender.identity.key)
    assert user is not None
    return user


def _next_place() -> tuple[float, float, str]:
    """A point in G-1 more than 100 m from every earlier one, and a category: never a duplicate of another case."""
    n = next(_places)
    row, col = divmod(n % 144, 12)
    return INSIDE_G1[0] + 0.0008 + row * 0.0016, INSIDE_G1[1] + 0.0008 + col * 0.0016, _CATEGORIES[n // 144 % 5]


async def make_case(world: World, state: CaseStatus, reporter: R = R.REPORTER) -> int:
    """A case in ``state`` reported by ``reporter``, followed by the follower, moved there by the real services."""
    services = world.services
    await set_banned(world, False)  # banned only once the case is where the test wants it
    lat, lon, category = _next_place()
    if state is S.UNROUTED:  # far from every grid, and far from each other
        lat, lon = OUTSIDE[0] + lat - INSIDE_G1[0], OUTSIDE[1] + lon - INSIDE_G1[1]
    officer, supervisor = world.users[R.OFFICER], world.users[R.SUPERVISOR]
    async with UnitOfWork(services.db) as uow:
        report = NewReport(world.users[reporter], category, lat, lon, None, "a note from the reporter", "en", "web")
        case_id = (await file_case(services, uow.session, report)).case.id
        uow.session.add(CaseFollower(case_id=case_id, user_id=world.users[R.FOLLOWER]))
        await uow.commit()
    steps = {
        S.ACCEPTED: ("accept",),
        S.RESOLVED: ("resolve",),
        S.RETURNED: ("return",),
        S.SUSPENDED: ("suspend",),
        S.CLOSED: ("resolve", "confirm"),
    }.get(state, ())
    for step in steps:
        async with UnitOfWork(services.db) as uow:
            session = uow.session
            who = await session.get(User, world.users[reporter] if step == "confirm" else officer)
            assert who is not None
            if step == "accept":
                await cases.accept(services, session, case_id, who)
            elif step == "resolve":
                await cases.resolve(services, session, case_id, who, [ProofPhoto(f"proof-{case_id}")], "done")
            elif step == "return":
                await cases.return_case(services, session, case_id, who, "not our street")
            elif step == "suspend":
                boss = await session.get(User, supervisor)
                assert boss is not None
                await cases.suspend(services, session, case_id, boss, "waiting for the owner")
            else:
                await cases.confirm(services, session, case_id, who, True)
            await uow.commit()
    async with UnitOfWork(services.db) as uow:
        found = await cases.get_case(uow.session, case_id)
        assert found.status == state, (found.status, state)
    if reporter is R.BANNED:
        await set_banned(world, True)
    return case_id


async def set_banned(world: World, banned: bool) -> None:
    """Ban (or unban) the banned role's person."""
    async with UnitOfWork(world.services.db) as uow:
        await uow.session.execute(update(User).where(User.id == world.users[R.BANNED]).values(banned=banned))
        await uow.commit()


async def make_draft(world: World, owner: R, step: str) -> int:
    """A fresh draft of ``owner`` waiting at ``step``: category, location (with a photo's place), note or confirm."""
    services = world.services
    await set_banned(world, False)
    async with UnitOfWork(services.db) as uow:
        session = uow.session
        user = await session.get(User, world.users[owner])
        assert user is not None
        await session.execute(ReportDraft.__table__.delete().where(ReportDraft.user_id == user.id))
        photo = IncomingPhoto(file_id=f"draft-photo-{next(_places)}", file_unique_id=f"u-{next(_places)}")
        draft = (await add_photo(services, session, user, photo, None)).draft
        if step != "category":
            set_category(services, draft, "0201")
            draft.exif_lat, draft.exif_lon = INSIDE_G1[0] + 0.005, INSIDE_G1[1] + 0.005
        if step in ("note", "confirm"):
            set_location(services, draft, INSIDE_G1[0] + 0.005, INSIDE_G1[1] + 0.005, address=None, source="location")
        if step == "confirm":
            skip_note(services, draft)
        await uow.commit()
        draft_id = draft.id
    if owner is R.BANNED:
        await set_banned(world, True)
    return draft_id


async def snapshot(world: World) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table an action could change, in a stable order."""
    found: dict[str, list[tuple[Any, ...]]] = {}
    async with UnitOfWork(world.services.db) as uow:
        for table in SNAPSHOT_TABLES:
            rows = await uow.session.execute(text(f"SELECT * FROM {table}"))
            found[table] = sorted((tuple(row) for row in rows), key=repr)
    return found


def changes(before: dict[str, list[tuple[Any, ...]]], after: dict[str, list[tuple[Any, ...]]]) -> dict[str, Any]:
    """The tables whose rows differ, with the rows that went and came."""
    diff = {}
    for table in before:
        gone = [row for row in before[table] if row not in after[table]]
        came = [row for row in after[table] if row not in before[table]]
        if gone or came:
            diff[table] = {"gone": gone, "came": came}
    return diff
