"""Filing a case from plain values, for channels that send a whole report at once (the Open311 API).

The case takes the same path as a chat report (``intake_submit.file_case``): duplicates are linked, the rest is
routed, dispatched to the unit's officers with their notices and given its deadline; a point no grid covers waits
for a dispatcher. Whatever is refused raises ``IntakeRefused`` before anything is stored.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from geo.crs import InvalidCoordinates, validate_latlon
from geo.geocoding import GeocodeResult
from models.cases import Photo, PhotoKind
from models.identities import UserIdentity
from models.uow import UnitOfWork
from models.users import Role, User
from services.context import Services
from services.i18n import N_
from services.intake_limits import IntakeRefused
from services.intake_places import resolve_address
from services.intake_submit import NewReport, Outcome, file_case
from services.photos import UploadProblem, check_upload, remove_copies, save_copy, sniff_image
from services.users import user_by_identity

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Filing:
    """A complete report: category code, WGS-84 point, text, an optional photo and where it came from."""

    category: str
    lat: float
    lon: float
    description: str | None
    source: str  # e.g. "open311:hotline"
    client_id: int  # the filing client (an API key's id): its reports share one reporter
    client_name: str
    address: str | None = None
    photo: bytes | None = None
    language: str = "en"


@dataclass(frozen=True)
class Filed:
    """What became of a filed report."""

    case_id: int
    number: str
    outcome: Outcome
    unit_name: str | None
    due_at: datetime | None
    parent_id: int | None = None


#: The channel name of API clients in identities.
CLIENT_CHANNEL = "open311"


async def client_reporter(
    session: AsyncSession, client_id: int, name: str, now: datetime, *, callback: bool = False
) -> int:
    """The user that stands for a filing client as reporter, created on first use.

    The client is an account on the "open311" channel (external id: the API key's id). Made with ``callback``, its
    contact is that account, so the status notices of its cases are queued for the callback sender
    (``channels.open311.callback``); without one it has no contact and nothing is ever queued for it (the filer
    polls the API).
    """
    user = await user_by_identity(session, CLIENT_CHANNEL, client_id)
    if user is None:
        account = UserIdentity(
            channel=CLIENT_CHANNEL, external_id=str(client_id), display_name=name[:128], blocked=False, created_at=now
        )
        # English, as the API answers a client that names no language (a callback's status notes follow it).
        user = User(
            first_name=name[:128], role=Role.CITIZEN, channel_language="en", created_at=now, identities=[account]
        )
        session.add(user)
    if callback:
        user.contact_channel, user.contact_address = CLIENT_CHANNEL, str(client_id)
    await session.flush()
    return user.id


def check_filing(services: Services, filing: Filing) -> None:
    """Refuse a report the intake cannot take: unknown category, bad point, text too long, photo missing."""
    if services.config.category(filing.category) is None:
        raise IntakeRefused(N_("There is no category {code}."), code=filing.category)
    try:
        validate_latlon(filing.lat, filing.lon)
    except InvalidCoordinates:
        raise IntakeRefused(
            N_("The location {lat}, {lon} is not a valid WGS-84 point."), lat=filing.lat, lon=filing.lon
        ) from None
    limit = services.config.reporting.note_max_chars
    if filing.description and len(filing.description) > limit:
        raise IntakeRefused(N_("The description is too long (at most {limit} characters)."), limit=limit)
    if filing.photo is None and filing.category in services.config.reporting.photo_required:
        raise IntakeRefused(N_("Reports of this category need a photo."))


def check_photo(services: Services, data: bytes) -> str:
    """The photo's real image type; refuses what is not an image or is too large."""
    sniffed = sniff_image(data)
    problem = check_upload(services, sniffed.mime_type if sniffed else None, len(data))
    if problem is UploadProblem.TOO_BIG:
        limit = f"{services.config.reporting.max_file_mb:g}"
        raise IntakeRefused(N_("The photo is too large (at most {limit} MB)."), limit=limit)
    if problem is not None or sniffed is None:
        raise IntakeRefused(N_("The media is not a photo (JPEG, PNG, WebP...)."))
    return sniffed.mime_type


async def locate_address(services: Services, text: str) -> GeocodeResult | None:
    """The WGS-84 place the city's geocoder finds for ``text`` (as for a typed chat address), or None."""
    async with UnitOfWork(services.db) as uow:
        return await resolve_address(services, uow.session, text)


async def file_report(services: Services, filing: Filing) -> Filed:
    """File ``filing`` as a case through the chat reports' intake; ``IntakeRefused`` stores nothing."""
    check_filing(services, filing)
    mime = check_photo(services, filing.photo) if filing.photo is not None else None
    copy = await save_copy(services, filing.photo, mime) if filing.photo is not None else None
    try:
        return await _file(services, filing, copy)
    except BaseException:
        await remove_copies(services, [copy])  # the case was not stored: neither is its photo
        raise


async def _file(services: Services, filing: Filing, copy: str | None) -> Filed:
    now = services.clock.now()
    async with UnitOfWork(services.db) as uow:
        reporter_id = await client_reporter(uow.session, filing.client_id, filing.client_name, now)
        photos = [] if copy is None else [_photo(services, filing, copy, reporter_id, now)]
        report = NewReport(
            reporter_id=reporter_id,
            category=filing.category,
            lat=filing.lat,
            lon=filing.lon,
            address=filing.address,
            note=filing.description or None,
            language=filing.language,
            source=filing.source,
        )
        done = await file_case(services, uow.session, report, photos)
        await uow.commit()
    parent = done.parent.id if done.parent is not None else None
    return Filed(done.case.id, done.case.number, done.outcome, done.unit_name, done.due_at, parent)


def _photo(services: Services, filing: Filing, copy: str, reporter_id: int, now: datetime) -> Photo:
    assert filing.photo is not None
    sniffed = sniff_image(filing.photo)
    return Photo(
        kind=PhotoKind.REPORT,
        channel=None,  # no channel has shown it yet: each one sends the kept copy
        file_id="",
        local_path=copy,
        width=sniffed.width if sniffed else None,
        height=sniffed.height if sniffed else None,
        file_size=len(filing.photo),
        uploaded_by_id=reporter_id,
        created_at=now,
    )
