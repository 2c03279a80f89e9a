"""Notifications a case change causes, rendered in each recipient's language and queued in the outbox.

Officer-bound messages carry the case number, category, place, deadline and the citizen's photos and note,
never the reporter's name, username or id.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
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
from services.outbox import enqueue, enqueue_text, inline_keyboard
from services.photos import photo_reference

#: Outbox kinds of a case's messages (the card is the message with the officer's action buttons).
KIND_ASSIGNMENT = "assignment"
KIND_CARD = "assignment_card"
KIND_CARD_EDIT = "assignment_edit"
KIND_SUPERVISOR = "case_supervisor"
KIND_OFFICER = "case_officer"
KIND_STATUS = "case_status"

STATUS_LABELS = {
    CaseStatus.SUBMITTED: N_("submitted"),
    CaseStatus.UNROUTED: N_("waiting for a dispatcher"),
    CaseStatus.DISPATCHED: N_("dispatched"),
    CaseStatus.ACCEPTED: N_("being handled"),
    CaseStatus.RESOLVED: N_("resolved, waiting for the check"),
    CaseStatus.REWORK: N_("rework"),
    CaseStatus.RETURNED: N_("returned"),
    CaseStatus.SUSPENDED: N_("suspended"),
    CaseStatus.CLOSED: N_("closed"),
    CaseStatus.REJECTED: N_("rejected"),
    CaseStatus.DUPLICATE: N_("duplicate"),
}

#: Builds a recipient's keyboard rows of (label, callback data) in their language.
ButtonRows = Callable[[Translator], list[list[tuple[str, str]]]]


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


def case_summary(services: Services, case: Case, t: Translator) -> str:
    """The lines every staff message about ``case`` starts with (no reporter identity)."""
    lines = [
        t("Case {number}: {category}", number=case.number, category=category_label(services, case.category, t)),
        t("Place: {place}", place=place_text(case)),
    ]
    if case.due_at is not None:
        lines.append(t("Deadline: {deadline}", deadline=local_time(services, case.due_at)))
    if case.note:
        lines.append(t("Note: {note}", note=case.note))
    return "\n".join(lines)


def officer_buttons(case: Case, t: Translator, *, accepted: bool = False) -> dict[str, Any]:
    """Accept / Resolve / Return buttons of a card (no Accept once the case is the officer's)."""
    rows = [[(t("Resolve"), f"case:resolve:{case.id}"), (t("Return"), f"case:return:{case.id}")]]
    if not accepted:
        rows.insert(0, [(t("Accept"), f"case:accept:{case.id}")])
    return inline_keyboard(rows)


def _reachable(people: Iterable[User]) -> list[User]:
    seen: set[int] = set()
    found = []
    for person in people:
        if person.id not in seen and not person.blocked_bot and not person.banned:
            seen.add(person.id)
            found.append(person)
    return found


async def send_case_media(
    services: Services, session: AsyncSession, case: Case, user: User, caption: str, *, kind: str
) -> None:
    """Queue the case's report photos (one photo or an album) with ``caption``, then its location pin."""
    now = services.clock.now()
    photos = [photo_reference(services, p) for p in case.photos if p.kind == PhotoKind.REPORT]
    common: dict[str, Any] = {"kind": kind, "now": now, "user_id": user.id, "case_id": case.id}
    if len(photos) == 1:
        params: dict[str, Any] = {"photo": photos[0], "caption": caption}
        await enqueue(session, chat_id=user.telegram_id, method="sendPhoto", params=params, **common)
    elif photos:
        media: list[dict[str, Any]] = [{"type": "photo", "media": file_id} for file_id in photos[:10]]
        media[0]["caption"] = caption
        await enqueue(session, chat_id=user.telegram_id, method="sendMediaGroup", params={"media": media}, **common)
    location = {"latitude": case.lat, "longitude": case.lon}
    await enqueue(session, chat_id=user.telegram_id, method="sendLocation", params=location, **common)


async def assignment(
    services: Services,
    session: AsyncSession,
    case: Case,
    officers: Sequence[User],
    headline: str = N_("New case for your grid."),
    *,
    accepted: bool = False,
) -> None:
    """Queue the case (photos with caption, location pin, card with buttons) for each officer."""
    for officer in _reachable(officers):
        t = Translator(officer.locale)
        summary = case_summary(services, case, t)
        await send_case_media(services, session, case, officer, summary, kind=KIND_ASSIGNMENT)
        await enqueue_text(
            session,
            chat_id=officer.telegram_id,
            text=t(headline, number=case.number) + "\n" + summary,
            kind=KIND_CARD,
            now=services.clock.now(),
            reply_markup=officer_buttons(case, t, accepted=accepted),
            user_id=officer.id,
            case_id=case.id,
        )


async def to_supervisors(
    services: Services,
    session: AsyncSession,
    case: Case,
    supervisors: Sequence[User],
    headline: str,
    values: dict[str, object] | None = None,
    *,
    buttons: ButtonRows | None = None,
) -> None:
    """Queue the case (photos, pin, summary) for supervisors; ``headline`` is a msgid rendered per person."""
    for person in _reachable(supervisors):
        t = Translator(person.locale)
        summary = case_summary(services, case, t)
        await send_case_media(services, session, case, person, summary, kind=KIND_SUPERVISOR)
        text = t(headline, number=case.number, **(values or {})) + "\n" + summary
        text += "\n" + t("Send /case {id} for details.", id=case.id)
        await enqueue_text(
            session,
            chat_id=person.telegram_id,
            text=text,
            kind=KIND_SUPERVISOR,
            now=services.clock.now(),
            reply_markup=inline_keyboard(buttons(t)) if buttons else None,
            user_id=person.id,
            case_id=case.id,
        )


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
    for person in _reachable(people):
        t = Translator(person.locale)
        await enqueue_text(
            session,
            chat_id=person.telegram_id,
            text=t(message, number=case.number, **(values or {})),
            kind=kind,
            now=services.clock.now(),
            user_id=person.id,
            case_id=case.id,
        )


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
    """Edit the current round's action cards of ``case`` to ``message`` (buttons removed); returns how many."""
    query = select(OutboxMessage).where(
        OutboxMessage.case_id == case.id,
        OutboxMessage.kind == KIND_CARD,
        OutboxMessage.status != DeliveryStatus.FAILED,
    )
    if case.dispatched_at is not None:
        query = query.where(OutboxMessage.created_at >= case.dispatched_at)
    cards = list(await session.scalars(query.order_by(OutboxMessage.id)))
    users = {u.id: u for u in await session.scalars(select(User).where(User.id.in_([c.user_id for c in cards])))}
    edited = 0
    for card in cards:
        person = users.get(card.user_id or 0)
        if person is None or person.id == keep_user_id:
            continue
        t = Translator(person.locale)
        text = t(message, number=case.number, **(values or {}))
        row = await enqueue(
            session,
            chat_id=card.chat_id,
            method="editMessageText",
            params={"text": text},
            kind=KIND_CARD_EDIT,
            now=services.clock.now(),
            user_id=person.id,
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
    for person in people:
        t = Translator(person.locale)
        if event_kind == "resolved":
            await _resolved_notice(services, session, case, person, t, values.get("note"))
            continue
        await enqueue_text(
            session,
            chat_id=person.telegram_id,
            text=t(FOLLOWER_TEXTS[event_kind], number=case.number, **values),
            kind=KIND_STATUS,
            now=services.clock.now(),
            user_id=person.id,
            case_id=case.id,
        )
    return len(people)


async def _resolved_notice(
    services: Services, session: AsyncSession, case: Case, person: User, t: Translator, note: object
) -> None:
    """Before/after photos, the officer's note, and the Fixed / Not fixed question."""
    now = services.clock.now()
    before = [photo_reference(services, p) for p in case.photos if p.kind == PhotoKind.REPORT][:5]
    after = [photo_reference(services, p) for p in case.photos if p.kind == PhotoKind.PROOF][:5]
    common: dict[str, Any] = {"kind": KIND_STATUS, "now": now, "user_id": person.id, "case_id": case.id}
    caption = t("Report {number}: before and after.", number=case.number)
    if len(before) + len(after) == 1:
        photo = (before + after)[0]
        params: dict[str, Any] = {"photo": photo, "caption": caption}
        await enqueue(session, chat_id=person.telegram_id, method="sendPhoto", params=params, **common)
    elif before or after:
        media: list[dict[str, Any]] = [{"type": "photo", "media": file_id} for file_id in before + after]
        media[0]["caption"] = caption
        await enqueue(session, chat_id=person.telegram_id, method="sendMediaGroup", params={"media": media}, **common)
    text = t(RESOLVED_QUESTION, number=case.number)
    if note:
        text += "\n" + t("Officer's note: {note}", note=note)
    buttons = inline_keyboard([[(t("Fixed"), f"case:fixed:{case.id}"), (t("Not fixed"), f"case:notfixed:{case.id}")]])
    await enqueue_text(session, chat_id=person.telegram_id, text=text, reply_markup=buttons, **common)
