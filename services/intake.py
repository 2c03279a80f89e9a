"""The citizen's report draft, collected step by step and kept in the database so a restart loses nothing.

A draft moves through photos → category → location → note → confirm, but the step is always derived from
what is still missing (``next_step``), so inputs may arrive in any order: a location before the photo, a
caption that already answers the note, one more photo while the category is asked.

A place far outside the city's area (``routing.outside_city``) is kept but not yet taken: until the citizen
confirms it (``confirm_place``) or sends another, the location is still the step, and the place's source carries
the mark ``UNCONFIRMED`` (``far:location``, ``far:exif``...).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from sqlalchemy import Select, bindparam, delete, null, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.util import identity_key

from geo.crs import InvalidCoordinates, validate_latlon
from models.cases import DraftStep, PendingInput, Photo, PhotoKind, ReportDraft
from models.users import User
from services.context import Services
from services.i18n import N_
from services.intake_limits import (
    BANNED,
    WINDOW,
    IntakeRefused,
    ensure_may_report,
    limit_values,
    oldest_counted_report,
    refuse_until,
)
from services.photos import IncomingPhoto
from services.routing import outside_city

T = TypeVar("T")
ADDRESS_MAX = 300
#: Marks the source of a place far outside the city that the citizen has not confirmed yet.
UNCONFIRMED = "far:"
BAD_LOCATION = N_(
    "This location can't be right (it is 0,0, which phones send without a position fix, or out of range). "
    "Please share it again or type an address."
)
#: A photo for a draft another turn of the person removed meanwhile.
DRAFT_GONE = N_(
    "That report is gone (sent, cancelled or expired), so this photo was not added. "
    "Send it again to start a new report."
)


@dataclass(frozen=True)
class PhotoAdded:
    """What happened to one incoming photo."""

    draft: ReportDraft
    row: Photo | None  # the stored photo; None when it was not added
    added: bool  # False: the draft already holds the most photos allowed (or this very photo)
    count: int
    started: bool  # the photo opened a new draft


@dataclass(frozen=True)
class DraftState:
    """What one query tells about a person's report: their draft, the question they owe, the hourly limit."""

    draft: ReportDraft | None  # photos loaded
    question: PendingInput | None  # a question the bot asked them (officers: an after-photo, a reason)
    #: When the hourly limit lets them start a report again (None: it does now); meaningful if ``limit_read``.
    limited_until: datetime | None = None
    limit_read: bool = False


def _state_query(limit: bool) -> Select[ReportDraft, PendingInput, datetime | None]:
    # The hourly limit matters only when a draft may be started; a constant keeps the row's shape the same.
    oldest = oldest_counted_report(User.id) if limit else null()
    return (
        select(ReportDraft, PendingInput, oldest)
        .select_from(User)
        .outerjoin(ReportDraft, ReportDraft.user_id == User.id)
        .outerjoin(PendingInput, PendingInput.user_id == User.id)
        .options(joinedload(ReportDraft.photos))
        .where(User.id == bindparam("user_id"))
    )


# Built once: composing a statement with joins and loader options costs more CPU than running it on SQLite.
_STATE = {limit: _state_query(limit) for limit in (False, True)}
_DRAFT_OF_USER = (
    select(ReportDraft).options(joinedload(ReportDraft.photos)).where(ReportDraft.user_id == bindparam("user_id"))
)
_DRAFT_BY_ID = select(ReportDraft).options(joinedload(ReportDraft.photos)).where(ReportDraft.id == bindparam("id"))


async def load_state(services: Services, session: AsyncSession, user_id: int, *, limit: bool) -> DraftState:
    """The user's draft (with photos), open question and, if ``limit``, the hourly limit: one statement."""
    values: dict[str, object] = {"user_id": user_id}
    if limit:
        values.update(limit_values(services))
    row = (await session.execute(_STATE[limit], values)).unique().first()
    if row is None:
        return DraftState(None, None)
    draft, question, counted = row
    return DraftState(draft, question, counted + WINDOW if counted is not None else None, limit)


def next_step(draft: ReportDraft) -> DraftStep:
    """The first thing the draft still lacks; a note that was answered (even skipped) is ``""``, not None."""
    if not draft.photos:
        return DraftStep.PHOTOS
    if not draft.category:
        return DraftStep.CATEGORY
    if draft.lat is None or draft.lon is None or place_unconfirmed(draft):
        return DraftStep.LOCATION
    if draft.note is None:
        return DraftStep.NOTE
    return DraftStep.CONFIRM


def place_unconfirmed(draft: ReportDraft) -> bool:
    """Whether the draft's place is far outside the city and waits for the citizen's confirmation."""
    return (draft.location_source or "").startswith(UNCONFIRMED)


def _touch(services: Services, draft: ReportDraft) -> None:
    draft.updated_at = services.clock.now()
    draft.step = next_step(draft)


async def find_draft(session: AsyncSession, user_id: int) -> ReportDraft | None:
    """The user's draft in progress (photos loaded in the same query), or None."""
    return (await session.execute(_DRAFT_OF_USER, {"user_id": user_id})).unique().scalar_one_or_none()


async def draft_for_button(session: AsyncSession, user_id: int, draft_id: int) -> ReportDraft | None:
    """The user's draft if ``draft_id`` names it; None for a finished, expired or someone else's draft.

    Draft ids are never reused, so the id alone tells a current draft from an old one. A draft this unit of
    work loaded already is taken as it is, without a query.
    """
    draft = session.identity_map.get(identity_key(ReportDraft, draft_id))
    if not isinstance(draft, ReportDraft):
        draft = (await session.execute(_DRAFT_BY_ID, {"id": draft_id})).unique().scalar_one_or_none()
    return draft if draft is not None and draft.user_id == user_id else None


async def open_draft(
    services: Services, session: AsyncSession, user: User, state: DraftState | None = None
) -> tuple[ReportDraft, bool]:
    """The user's draft, started if there is none (refused when banned or over the hourly limit).

    ``state`` is what ``load_state`` already read in this transaction; without it the draft and limit are read.
    """
    draft, started, _ = await _draft_with(services, session, user, state, lambda draft: None)
    return draft, started


async def _draft_with(
    services: Services,
    session: AsyncSession,
    user: User,
    state: DraftState | None,
    change: Callable[[ReportDraft], T],
    *,
    hold: bool = False,
) -> tuple[ReportDraft, bool, T]:
    """The user's draft with ``change`` made to it; a new draft is written once, with the change already in it.

    One write, not an insert and then an update: on SQLite the savepoint around a new draft is the start of
    the write transaction, and each write transaction holds the database lock every other writer waits for.
    ``hold``: an existing draft is held (``hold_draft``) first; ``DRAFT_GONE`` when it is gone.
    """
    if user.banned:
        raise IntakeRefused(BANNED)
    draft = state.draft if state is not None else await find_draft(session, user.id)
    if draft is not None:
        if hold and not await hold_draft(session, draft.id):
            raise IntakeRefused(DRAFT_GONE)
        return draft, False, change(draft)
    if state is not None and state.limit_read:
        refuse_until(services, state.limited_until)
    else:
        await ensure_may_report(services, session, user)
    now = services.clock.now()
    # An empty photo list given up front counts as loaded: no lazy load (I/O) when photos are added.
    draft = ReportDraft(user_id=user.id, step=DraftStep.PHOTOS, created_at=now, updated_at=now, photos=[])
    done = change(draft)
    try:
        # Two updates of one album may race in two workers: the loser adopts the winner's draft.
        async with session.begin_nested():
            session.add(draft)
            await session.flush()
    except IntegrityError:
        found = await find_draft(session, user.id)
        if found is None:
            raise
        if hold and not await hold_draft(session, found.id):
            raise IntakeRefused(DRAFT_GONE) from None
        return found, False, change(found)
    return draft, True, done


async def hold_draft(session: AsyncSession, draft_id: int, *, idle_before: datetime | None = None) -> bool:
    """Take the draft's row until this transaction ends; False when it is gone (or touched since ``idle_before``).

    A write that changes nothing: SQLite's write lock, PostgreSQL's row lock. No other turn of the person (a /cancel,
    Submit, the expiry) removes the draft until this one commits, and one removed before is seen to be gone.
    """
    query = update(ReportDraft).where(ReportDraft.id == draft_id)
    if idle_before is not None:
        query = query.where(ReportDraft.updated_at < idle_before)
    query = query.values(updated_at=ReportDraft.updated_at).execution_options(synchronize_session=False)
    return bool((await session.execute(query)).rowcount == 1)  # type: ignore[attr-defined]


async def add_photo(
    services: Services,
    session: AsyncSession,
    user: User,
    photo: IncomingPhoto,
    caption: str | None,
    state: DraftState | None = None,
) -> PhotoAdded:
    """Attach ``photo`` to the user's draft (starting one), up to the configured number of photos.

    ``DRAFT_GONE`` is refused when the draft ``state`` holds was removed by another turn meanwhile."""

    def attach(draft: ReportDraft) -> Photo | None:
        already = photo.file_unique_id and any(p.file_unique_id == photo.file_unique_id for p in draft.photos)
        row = None
        if not already and len(draft.photos) < services.config.reporting.max_photos:
            row = Photo(
                kind=PhotoKind.REPORT,
                channel=photo.channel,
                file_id=photo.file_id,
                file_unique_id=photo.file_unique_id,
                local_path=photo.local_path,
                width=photo.width,
                height=photo.height,
                file_size=photo.file_size,
                uploaded_by_id=user.id,
                created_at=services.clock.now(),
            )
            draft.photos.append(row)
            if photo.exif_location is not None and draft.exif_lat is None:
                draft.exif_lat, draft.exif_lon = photo.exif_location
            if caption and caption.strip() and draft.note is None:
                set_note(services, draft, caption)
        _touch(services, draft)  # a photo not taken (one too many, sent twice) is activity all the same
        return row

    draft, started, row = await _draft_with(services, session, user, state, attach, hold=True)
    await session.flush()  # the photo row's id, for the evidence copy kept after the answer
    return PhotoAdded(draft, row, row is not None, len(draft.photos), started)


def set_category(services: Services, draft: ReportDraft, code: str) -> None:
    """Choose the category; unknown codes (an edited catalog, forged buttons) are refused."""
    if services.config.category(code) is None:
        raise IntakeRefused(N_("This category is not offered any more. Please choose one of the buttons."))
    draft.category = code
    _touch(services, draft)


def set_location(
    services: Services,
    draft: ReportDraft,
    lat: float,
    lon: float,
    *,
    address: str | None,
    source: str,
    far: bool = False,
) -> None:
    """Set where the problem is (WGS-84); impossible coordinates are refused, keeping the old ones.

    ``far``: the place is far outside the city; it waits for ``confirm_place``.
    """
    try:
        lat, lon = validate_latlon(lat, lon)
    except InvalidCoordinates:
        raise IntakeRefused(BAD_LOCATION) from None
    draft.lat, draft.lon = lat, lon
    draft.address = (address or "").strip()[:ADDRESS_MAX] or None
    draft.location_source = UNCONFIRMED + source if far else source
    _touch(services, draft)


def confirm_place(services: Services, draft: ReportDraft) -> None:
    """The citizen confirms the far place: it is the report's place now."""
    draft.location_source = (draft.location_source or "").removeprefix(UNCONFIRMED)
    _touch(services, draft)


def clear_place(services: Services, draft: ReportDraft) -> None:
    """The citizen will send another place: the far one is forgotten and the location is asked again."""
    draft.lat = draft.lon = None
    draft.address = draft.location_source = None
    _touch(services, draft)


async def receive_location(
    services: Services,
    session: AsyncSession,
    user: User,
    lat: float,
    lon: float,
    *,
    address: str | None,
    source: str,
    state: DraftState | None = None,
) -> ReportDraft:
    """Set the location of the user's draft, starting one if needed; bad coordinates start nothing.

    A place far outside the city is kept unconfirmed (``place_unconfirmed``).
    """
    try:
        validate_latlon(lat, lon)
    except InvalidCoordinates:
        raise IntakeRefused(BAD_LOCATION) from None
    far = await outside_city(services, session, lat, lon) is not None

    def place(draft: ReportDraft) -> None:
        set_location(services, draft, lat, lon, address=address, source=source, far=far)

    draft, _, _ = await _draft_with(services, session, user, state, place)
    return draft


async def use_photo_location(services: Services, session: AsyncSession, draft: ReportDraft) -> None:
    """Take the position read from a photo's EXIF (unconfirmed when far outside the city)."""
    lat, lon = draft.exif_lat, draft.exif_lon
    if lat is None or lon is None:
        raise IntakeRefused(N_("The photo has no location. Please share the location or type an address."))
    try:
        validate_latlon(lat, lon)
    except InvalidCoordinates:
        raise IntakeRefused(BAD_LOCATION) from None
    far = await outside_city(services, session, lat, lon) is not None
    set_location(services, draft, lat, lon, address=None, source="exif", far=far)


def set_note(services: Services, draft: ReportDraft, text: str) -> bool:
    """Store the note, cut to the configured length; True when it had to be cut."""
    cap = services.config.reporting.note_max_chars
    text = text.strip()
    draft.note = text[:cap]
    _touch(services, draft)
    return len(text) > cap


def skip_note(services: Services, draft: ReportDraft) -> None:
    """Answer the note question with "no note"."""
    draft.note = ""
    _touch(services, draft)


async def discard_draft(
    session: AsyncSession, draft: ReportDraft, *, idle_before: datetime | None = None
) -> list[str] | None:
    """Delete the draft and its photo rows; returns the copies on disk the caller removes after committing.

    None when another turn removed or sent the draft meanwhile (its rows are not this turn's to delete). Photos go
    by their draft, so one added since this turn read it goes too; ``idle_before``: see ``hold_draft``.
    """
    paths = None
    if await hold_draft(session, draft.id, idle_before=idle_before):
        gone = await session.execute(
            delete(Photo)
            .where(Photo.draft_id == draft.id)
            .returning(Photo.local_path)
            .execution_options(synchronize_session=False)
        )
        paths = [path for path in gone.scalars() if path]
        await session.execute(
            delete(ReportDraft).where(ReportDraft.id == draft.id).execution_options(synchronize_session=False)
        )
    for row in [*draft.photos, draft]:
        if row in session:
            session.expunge(row)
    return paths


async def cancel_all(session: AsyncSession, user_id: int, state: DraftState | None = None) -> list[str] | None:
    """Drop the user's draft and any question the bot was waiting on; None when there was neither.

    Returns the photo copies to remove once the transaction is committed.
    """
    pending = await session.execute(
        delete(PendingInput).where(PendingInput.user_id == user_id).execution_options(synchronize_session=False)
    )
    draft = state.draft if state is not None else await find_draft(session, user_id)
    paths = await discard_draft(session, draft) if draft is not None else None
    if paths is None:
        return [] if pending.rowcount else None  # type: ignore[attr-defined]
    return paths
