"""The demo's seed: a district imported level by level, people bound to it, landmarks, a quiet history."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import func, select

from bot.demo_district import cell_center, grid_cells
from bot.demo_people import PERSONAS, persona, staff
from bot.demo_seed import seed_demo
from models.cases import Case, CaseEvent
from models.grid import BindingRole, GridUnit, OfficerBinding, UnitLevel
from models.identities import UserIdentity
from models.status import OPEN_STATUSES, CaseStatus
from models.uow import UnitOfWork
from models.users import Role, User
from services import routing
from services.context import Services
from services.grids import offline_places
from services.responsibility import escalation_targets, officers_of
from services.sla import sweep


async def test_the_district_is_imported_with_a_parent_chain_and_routes_points_to_its_cells(
    services: Services,
) -> None:
    seed = await seed_demo(services)

    assert {level: s.imported for level, s in seed.imports.items()} == {
        "district": 1, "street": 4, "community": 16, "grid": 81,
    }  # fmt: skip
    async with UnitOfWork(services.db) as uow:
        levels = Counter((await uow.session.execute(select(GridUnit.level))).scalars())
        chain = await routing.unit_chain(uow.session, "DC-DS-DB-03")
        douban = next(cell for cell in grid_cells() if cell.id == "DC-DS-DB-03")
        decision = await routing.route(services, uow.session, *cell_center(douban.row, douban.col), "0201")
    assert levels == {UnitLevel.GRID: 81, UnitLevel.COMMUNITY: 16, UnitLevel.STREET: 4, UnitLevel.DISTRICT: 1}
    assert chain == ("DC-DS-DB-03", "DC-DS-DB", "DC-DS", "DC")
    assert decision.unit_id == "DC-DS-DB-03"
    assert decision.chain_text == "DC-DS-DB-03>DC-DS-DB>DC-DS>DC"
    assert douban.name == "东四街道-豆瓣社区-03网格"


async def test_every_grid_has_an_officer_and_escalation_reaches_a_supervisor(services: Services) -> None:
    await seed_demo(services)
    officer, supervisor = persona("officer"), persona("supervisor")

    async with UnitOfWork(services.db) as uow:
        no_officer = [c.id for c in grid_cells() if not await officers_of(uow.session, c.id)]
        douban_officers = [int(u.contact_address or 0) for u in await officers_of(uow.session, "DC-DS-DB-01")]
        chain = ["DC-DS-DB-01", "DC-DS-DB", "DC-DS", "DC"]
        escalated_to = await escalation_targets(uow.session, chain, 1)
        district_level = await escalation_targets(uow.session, chain, 3)
        people = (
            select(UserIdentity.external_id, User.role, User.channel_language)
            .join(User, User.id == UserIdentity.user_id)
            .where(UserIdentity.channel == "telegram")
        )
        found = (await uow.session.execute(people)).all()
        roles = {int(tg): role for tg, role, _language in found}
        languages = {int(tg): language for tg, _role, language in found}
        officer_grids = await uow.session.scalar(
            select(func.count()).select_from(OfficerBinding)
            .join(UserIdentity, UserIdentity.user_id == OfficerBinding.user_id)
            .where(UserIdentity.external_id == str(officer.telegram_id), OfficerBinding.role == BindingRole.OFFICER)
        )  # fmt: skip
    assert no_officer == []
    assert douban_officers == [officer.telegram_id]
    # The community has no supervisor of its own, so the first escalation goes up to the street's (赵敏).
    assert [u.contact_address for u in escalated_to] == [str(supervisor.telegram_id)]
    # The district level too: the walkthrough's overdue cases escalate to a persona the web chat shows.
    assert [u.contact_address for u in district_level] == [str(supervisor.telegram_id)]
    assert officer_grids == 6 + 9  # 豆瓣社区 (3×2 cells) and 东四六条社区 (3×3 cells)
    assert roles[officer.telegram_id] == Role.OFFICER
    assert roles[supervisor.telegram_id] == Role.SUPERVISOR
    assert roles[persona("citizen").telegram_id] == Role.CITIZEN
    # Notifications are rendered in each person's language before they ever write to the bot.
    assert {languages[p.telegram_id] for p in PERSONAS if p.channel == "telegram"} == {"zh-hans", "en"}
    assert len(staff()) >= 12


async def test_landmarks_resolve_typed_addresses_inside_their_community(services: Services) -> None:
    await seed_demo(services)
    async with UnitOfWork(services.db) as uow:
        places = {place.name: place for place in await offline_places(uow.session)}
        decision = await routing.route(services, uow.session, places["史家胡同"].lat, places["史家胡同"].lon, "0102")
    assert decision.unit_id is not None and decision.unit_id.startswith("DC-CYM-SJ-")
    assert "Shijia Hutong" in places["史家胡同"].aliases


async def test_seeded_history_covers_every_stage_and_starts_quiet(services: Services) -> None:
    seed = await seed_demo(services, ["PHOTO-1", "PHOTO-2"])

    async with UnitOfWork(services.db) as uow:
        statuses = Counter((await uow.session.execute(select(Case.status))).scalars())
        first_actions = set(
            (await uow.session.execute(
                select(CaseEvent.action).where(CaseEvent.id.in_(select(func.min(CaseEvent.id)).group_by(CaseEvent.case_id)))
            )).scalars()
        )  # fmt: skip
        oldest = await uow.session.scalar(select(func.min(Case.reported_at)))
        newest = await uow.session.scalar(select(func.max(Case.reported_at)))
    now = services.clock.now()
    assert seed.cases == sum(statuses.values()) >= 50
    assert statuses[CaseStatus.CLOSED] > 20
    assert {CaseStatus.DISPATCHED, CaseStatus.ACCEPTED, CaseStatus.RESOLVED} <= set(statuses)
    assert sum(statuses[s] for s in OPEN_STATUSES) >= 10
    assert first_actions == {"report"}
    assert oldest is not None and newest is not None
    assert now - oldest > (now - newest) * 5 and (now - oldest).days >= 14
    # A new report in the next 24 hours must not be taken for a duplicate of a seeded one.
    assert (now - newest).total_seconds() > 24 * 3600
    # Everything already due was marked as notified: starting the demo does not replay weeks of reminders.
    result = await sweep(services)
    assert result.notices == [] and result.closed == []
