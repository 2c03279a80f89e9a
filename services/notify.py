"""Notifications a case change causes, rendered in each recipient's language and queued in the outbox.

Officer-bound messages carry the case number, category, place, deadline and the citizen's photos and note,
never the reporter's name, username or id.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models.cases import Case, CaseFollower, PhotoKind
from models.grid import BindingRole, GridUnit, OfficerBinding, UnitLevel
from models.outbox import DeliveryStatus, OutboxMessage
from models.status import CaseStatus
from models.users import Role, User
from services.context import Services
from services.i18n import N_, Translator
from services.messages import (
    STATUS_LABELS,
    Choice,
    Message,
    PhotoRef,
    Text,
    category,
    render_lines,
    text,
    when,
)
from services.outbox import Contact, contact_of, enqueue, enqueue_for

#: Outbox kinds of a case's messages (the card is the message with the officer's action choices).
KIND_ASSIGNMENT = "assignment"
KIND_CARD = "assignment_card"
KIND_CARD_EDIT = "assignment_edit"
KIND_SUPERVISOR = "case_supervisor"
KIND_OFFICER = "case_officer"
KIND_STATUS = "case_status"

#: Choices in rows, as the core offers them (each adapter decides how they look).
Choices = tuple[tuple[Choice, ...], ...]


def status_label(status: str, t: Translator) -> str:
    """The status in the reader's language."""
    return t(STATUS_LABELS[CaseStatus(status)])


def category_label(services: Services, code: str, t: Translator) -> str:
    """The category's name in the translator's language (the code itself if unknown)."""
    found = services.config.category(code)
    return found.label(t.locale) if found is not None else code


def place_text(case: Case) -> str:
    """The case's address, or its coordinates when no address is known."""
    return case.address or f"{case.lat:.5f}, {case.lon:.5f}"


def local_time(services: Services, moment: datetime | None) -> str:
    """A stored UTC time shown in the city's time zone."""
    return "—" if moment is None else moment.astimezone(services.tz).strftime("%Y-%m-%d %H:%M")


def case_lines(case: Case) -> tuple[Text, ...]:
    """The lines every staff message about ``case`` starts with (no reporter identity)."""
    found = [
        text("Case {number}: {category}", number=case.number, category=category(case.category)),
        text("Place: {place}", place=place_text(case)),
    ]
    if case.due_at is not None:
        found.append(text("Deadline: {deadline}", deadline=when(case.due_at)))
    if case.note:
        found.append(text("Note: {note}", note=case.note))
    return tuple(found)


def case_summary(services: Services, case: Case, t: Translator) -> str:
    """``case_lines`` rendered for one reader."""
    return render_lines(services, case_lines(case), t)


def officer_choices(case: Case, *, accepted: bool = False) -> Choices:
    """Accept / Resolve / Return on a card (no Accept once the case is the officer's)."""
    rows: list[tuple[Choice, ...]] = [
        (Choice(Text("Resolve"), f"case:resolve:{case.id}"), Choice(Text("Return"), f"case:return:{case.id}"))
    ]
    if not accepted:
        rows.insert(0, (Choice(Text("Accept"), f"case:accept:{case.id}"),))
    return tuple(rows)


def _reachable(people: Iterable[User]) -> list[User]:
    seen: set[int] = set()
    found = []
    for person in people:
        if person.id not in seen and contact_of(person) is not None:
            seen.add(person.id)
            found.append(person)
    return found


def _photos(case: Case, kind: PhotoKind, limit: int = 10) -> tuple[PhotoRef, ...]:
    return tuple(PhotoRef(photo_id=p.id) for p in case.photos if p.kind == kind)[:limit]


async def send_case_media(
    services: Services, session: AsyncSession, case: Case, user: User, caption: tuple[Text, ...], *, kind: str
) -> None:
    """Queue the case's report photos (one photo or an album) with ``caption``, then its location pin."""
    now = services.clock.now()
    common: dict[str, Any] = {"kind": kind, "now": now, "case_id": case.id}
    photos = _photos(case, PhotoKind.REPORT)
    if photos:
        await enqueue_for(session, user, Message(lines=caption, photos=photos), **common)
    await enqueue_for(session, user, Message(location=(case.lat, case.lon)), **common)


async def assignment(
    services: Services,
    session: AsyncSession,
    case: Case,
    officers: Sequence[User],
    headline: str = N_("New case for your grid."),
    *,
    accepted: bool = False,
) -> None:
    """Queue the case (photos with caption, location pin, card with choices) for each officer."""
    summary = case_lines(case)
    card = Message(
        lines=(text(headline, number=case.number), *summary), choices=officer_choices(case, accepted=accepted)
    )
    for officer in _reachable(officers):
        await send_case_media(services, session, case, officer, summary, kind=KIND_ASSIGNMENT)
        await enqueue_for(session, officer, card, kind=KIND_CARD, now=services.clock.now(), case_id=case.id)


async def to_supervisors(
    services: Services,
    session: AsyncSession,
    case: Case,
    supervisors: Sequence[User],
    headline: str,
    values: dict[str, object] | None = None,
    *,
    choices: Choices = (),
) -> None:
    """Queue the case (photos, pin, summary) for supervisors; ``headline`` is a msgid rendered per person."""
    summary = case_lines(case)
    lines_ = (text(headline, number=case.number, **(values or {})), *summary)
    card = Message(lines=(*lines_, text("Send /case {id} for details.", id=case.id)), choices=choices)
    for person in _reachable(supervisors):
        await send_case_media(services, session, case, person, summary, kind=KIND_SUPERVISOR)
        await enqueue_for(session, person, card, kind=KIND_SUPERVISOR, now=services.clock.now(), case_id=case.id)


async def to_people(
    services: Services,
    session: AsyncSession,
    case: Case,
    people: Sequence[User],
    message: str,
    values: dict[str, object] | None = None,
    *,
    kind: str = KIND_OFFICER,
) -> None:
    """Queue one text (a msgid with ``{number}`` and ``values``) to each person, in their language."""
    note = Message(lines=(text(message, number=case.number, **(values or {})),))
    for person in _reachable(people):
        await enqueue_for(session, person, note, kind=kind, now=services.clock.now(), case_id=case.id)


async def retire_cards(
    services: Services,
    session: AsyncSession,
    case: Case,
    message: str,
    values: dict[str, object] | None = None,
    *,
    reason: str,
    keep_user_id: int | None = None,
) -> int:
    """Replace the current round's action cards of ``case`` with ``message`` (choices removed); returns how many."""
    query = select(OutboxMessage).where(
        OutboxMessage.case_id == case.id,
        OutboxMessage.kind == KIND_CARD,
        OutboxMessage.status != DeliveryStatus.FAILED,
    )
    if case.dispatched_at is not None:
        query = query.where(OutboxMessage.created_at >= case.dispatched_at)
    cards = list(await session.scalars(query.order_by(OutboxMessage.id)))
    replacement = Message(lines=(text(message, number=case.number, **(values or {})),))
    edited = 0
    for card in cards:
        if card.user_id is None or card.user_id == keep_user_id:
            continue
        row = await enqueue(
            session,
            to=Contact(card.channel, card.address),
            message=replacement,
            kind=KIND_CARD_EDIT,
            now=services.clock.now(),
            user_id=card.user_id,
            case_id=case.id,
            dedupe_key=f"retire:{card.id}:{reason}",
            ref_id=card.id,
        )
        edited += row is not None
    return edited


async def followers(session: AsyncSession, case: Case) -> list[User]:
    """The reporter and everyone following ``case``."""
    follower_ids = select(CaseFollower.user_id).where(CaseFollower.case_id == case.id)
    query = select(User).where((User.id == case.reporter_id) | User.id.in_(follower_ids)).order_by(User.id)
    return list(await session.scalars(query))


async def unrouted_dispatchers(session: AsyncSession) -> list[User]:
    """Who picks up cases no grid covers: supervisors bound to a district-level unit, and every admin."""
    district_supervisors = (
        select(OfficerBinding.user_id)
        .join(GridUnit, GridUnit.id == OfficerBinding.unit_id)
        .where(OfficerBinding.role == BindingRole.SUPERVISOR, GridUnit.level == UnitLevel.DISTRICT)
    )
    query = select(User).where(User.id.in_(district_supervisors) | (User.role == Role.ADMIN)).order_by(User.id)
    return list(await session.scalars(query))


# ---------------------------------------------------------------- status updates for the reporter and followers
FOLLOWER_TEXTS = {
    "accepted": N_("Your report {number} was accepted by a grid officer and is being handled."),
    "dispatched": N_("Your report {number} was passed to {unit}."),
    "rework": N_("Thank you. Report {number} went back to the grid officer for rework."),
    "closed": N_("Report {number} is closed. Thank you for helping your city!"),
    "closed_unconfirmed": N_(
        "Report {number} is closed: we did not hear back within {hours} hours after it was handled."
    ),
    "closed_by_supervisor": N_("Report {number} was closed by the supervisor: {note}"),
    "rejected": N_("Report {number} was not taken up: {reason}"),
    "suspended": N_("Report {number} is on hold (挂账): {reason}"),
    "resumed": N_("Work on report {number} has resumed."),
    "resolved": N_("Report {number} was handled by the grid officer; the first person who reported it will check."),
}
#: Sent with the before/after photos of a resolved case.
RESOLVED_QUESTION = N_("Report {number} was handled. Is the problem fixed?")


async def notify_followers(
    services: Services,
    session: AsyncSession,
    case: Case,
    event_kind: str,
    *,
    exclude_user_id: int | None = None,
    **values: object,
) -> int:
    """Tell the reporter and followers about ``event_kind`` in their own language; returns how many were told."""
    people = [p for p in _reachable(await followers(session, case)) if p.id != exclude_user_id]
    news = Message(lines=(text(FOLLOWER_TEXTS[event_kind], number=case.number, **values),))
    for person in people:
        if event_kind == "resolved" and person.id == case.reporter_id:
            # Only the reporter sees the photos and checks the fix; followers (who sent a duplicate) get the news.
            await _resolved_notice(services, session, case, person, values.get("note"))
            continue
        await enqueue_for(session, person, news, kind=KIND_STATUS, now=services.clock.now(), case_id=case.id)
    return len(people)


async def _resolved_notice(services: Services, session: AsyncSession, case: Case, person: User, note: object) -> None:
    """Before/after photos, the officer's note, and the Fixed / Not fixed question."""
    common: dict[str, Any] = {"kind": KIND_STATUS, "now": services.clock.now(), "case_id": case.id}
    photos = _photos(case, PhotoKind.REPORT, 5) + _photos(case, PhotoKind.PROOF, 5)
    if photos:
        caption = (text("Report {number}: before and after.", number=case.number),)
        await enqueue_for(session, person, Message(lines=caption, photos=photos), **common)
    question = [text(RESOLVED_QUESTION, number=case.number)]
    if note:
        question.append(text("Officer's note: {note}", note=note))
    choices = ((Choice(Text("Fixed"), f"case:fixed:{case.id}"), Choice(Text("Not fixed"), f"case:notfixed:{case.id}")),)
    await enqueue_for(session, person, Message(lines=tuple(question), choices=choices), **common)
