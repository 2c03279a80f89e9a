"""Fill a fresh demo database: the district's units (through the normal import), people, landmarks, history."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from bot.demo_district import LANDMARKS, cell_center, feature_collections, grid_cells
from bot.demo_history import seed_history
from bot.demo_people import Person, everyone
from channels.telegram import CHANNEL as TELEGRAM
from channels.wechat import CHANNEL as WECHAT
from models.grid import BindingRole, UnitLevel
from models.grid import Place as PlaceRow
from models.uow import UnitOfWork
from services.context import Services
from services.grids import ImportSummary, import_grid_file
from services.officers import add_officer
from services.users import Identity, ensure_user

_LEVELS = (UnitLevel.DISTRICT, UnitLevel.STREET, UnitLevel.COMMUNITY, UnitLevel.GRID)


@dataclass
class DemoSeed:
    """What the seed created, for the console and the tests."""

    imports: dict[str, ImportSummary] = field(default_factory=dict)
    users: int = 0
    bindings: int = 0
    places: int = 0
    cases: int = 0

    @property
    def units(self) -> int:
        """Units imported over every level."""
        return sum(summary.imported for summary in self.imports.values())


async def seed_demo(services: Services, photo_file_ids: Sequence[str] = ()) -> DemoSeed:
    """Import the district level by level, bind people, store landmarks and a few weeks of cases."""
    seed = DemoSeed()
    collections = feature_collections()
    for level in _LEVELS:
        summary = await import_grid_file(services, collections[level.value], level=level)
        if summary.rejected or summary.missing_parents:
            raise RuntimeError(f"demo {level} import refused units: {summary.rejected or summary.missing_parents}")
        seed.imports[level.value] = summary
    people = everyone()
    seed.users, seed.bindings = await _people(services, people)
    seed.places = await _landmarks(services)
    seed.cases = await seed_history(services, list(photo_file_ids))
    return seed


def _bound_units(person: Person) -> list[str]:
    """Officers answer for every grid of their communities; supervisors for the units named."""
    if person.kind != "officer":
        return list(person.units)
    return [cell.id for cell in grid_cells() if cell.community.id in person.units]


def _account(person: Person) -> Identity:
    if person.openid is not None:
        return Identity(person.openid, person.name, language_code=person.language, channel=WECHAT)
    return Identity(person.telegram_id, person.name, language_code=person.language, channel=TELEGRAM)


async def _people(services: Services, people: Sequence[Person]) -> tuple[int, int]:
    now = services.clock.now()
    bindings = 0
    async with UnitOfWork(services.db) as uow:
        for person in people:
            role = BindingRole.SUPERVISOR if person.kind == "supervisor" else BindingRole.OFFICER
            for unit_id in _bound_units(person):
                await add_officer(uow.session, _account(person), unit_id, now=now, role=role, display_name=person.name)
                bindings += 1
            user = await ensure_user(uow.session, _account(person), now, display_name=person.name)
            # Notifications are rendered in the recipient's language before they ever write to the bot.
            user.channel_language = person.language
            user.leaderboard_opt_in = person.kind == "volunteer"
        await uow.commit()
    return len(people), bindings


async def _landmarks(services: Services) -> int:
    async with UnitOfWork(services.db) as uow:
        for name, aliases, _community, row, col in LANDMARKS:
            lat, lon = cell_center(row, col)
            uow.session.add(PlaceRow(name=name, aliases=aliases, lat=lat, lon=lon))
        await uow.commit()
    return len(LANDMARKS)
