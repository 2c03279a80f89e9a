"""Notifications a case change causes, rendered in each recipient's language and queued in the outbox.

Officer-bound messages carry the case number, category, place, deadline and the citizen's photos and note,
never the reporter's name, username or id.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models.cases import Case, PhotoKind
from models.grid import BindingRole, GridUnit, OfficerBinding, UnitLevel
from models.users import Role, User
from services.context import Services
from services.i18n import Translator
from services.outbox import enqueue, enqueue_text, inline_keyboard

#: Outbox kinds used for a case's messages (the card is the message with the action buttons).
KIND_ASSIGNMENT = "assignment"
KIND_CARD = "assignment_card"
KIND_SUPERVISOR = "case_supervisor"
KIND_STATUS = "case_status"


def category_label(services: Services, code: str, t: Translator) -> str:
    """The category's name in the translator's language (the code itself if unknown)."""
    found = services.config.category(code)
    return found.label(t.locale) if found is not None else code


def place_text(case: Case) -> str:
    """The case's address, or its coordinates when no address is known."""
    return case.address or f"{case.lat:.5f}, {case.lon:.5f}"


def local_time(services: Services, case_time: object) -> str:
    """A stored UTC time shown in the city's time zone."""
    from datetime import datetime

    if not isinstance(case_time, datetime):
        return "—"
    return case_time.astimezone(services.tz).strftime("%Y-%m-%d %H:%M")


def case_summary(services: Services, case: Case, t: Translator) -> str:
    """The lines every officer-bound message about ``case`` starts with."""
    lines = [
        t(
            "Case {number}: {category}",
            number=case.number,
            category=category_label(services, case.category, t),
        ),
        t("Place: {place}", place=place_text(case)),
    ]
    if case.due_at is not None:
        lines.append(t("Deadline: {deadline}", deadline=local_time(services, case.due_at)))
    if case.note:
        lines.append(t("Note: {note}", note=case.note))
    return "\n".join(lines)


def officer_buttons(case: Case, t: Translator) -> dict[str, object]:
    """Accept / Resolve / Return buttons of an assignment card."""
    return inline_keyboard(
        [
            [(t("Accept"), f"case:accept:{case.id}"), (t("Resolve"), f"case:resolve:{case.id}")],
            [(t("Return"), f"case:return:{case.id}")],
        ]
    )


async def send_case_media(
    services: Services, session: AsyncSession, case: Case, user: User, caption: str, *, kind: str
) -> None:
    """Queue the case's report photos (one photo or an album) with ``caption``, then its location pin."""
    now = services.clock.now()
    photos = [p.file_id for p in case.photos if p.kind == PhotoKind.REPORT]
    common = {"kind": kind, "now": now, "user_id": user.id, "case_id": case.id}
    if len(photos) == 1:
        params: dict[str, object] = {"photo": photos[0], "caption": caption}
        await enqueue(session, chat_id=user.telegram_id, method="sendPhoto", params=params, **common)
    elif photos:
        media = [{"type": "photo", "media": file_id} for file_id in photos[:10]]
        media[0]["caption"] = caption
        await enqueue(
            session, chat_id=user.telegram_id, method="sendMediaGroup", params={"media": media}, **common
        )
    location = {"latitude": case.lat, "longitude": case.lon}
    await enqueue(session, chat_id=user.telegram_id, method="sendLocation", params=location, **common)


async def assignment(services: Services, session: AsyncSession, case: Case, officers: Sequence[User]) -> None:
    """Queue the assignment (photos with caption, location pin, action card) for each officer."""
    for officer in officers:
        if officer.blocked_bot or officer.banned:
            continue
        t = Translator(officer.locale)
        summary = case_summary(services, case, t)
        await send_case_media(services, session, case, officer, summary, kind=KIND_ASSIGNMENT)
        text = t("New case for your grid.") + "\n" + summary
        await enqueue_text(
            session,
            chat_id=officer.telegram_id,
            text=text,
            kind=KIND_CARD,
            now=services.clock.now(),
            reply_markup=officer_buttons(case, t),
            user_id=officer.id,
            case_id=case.id,
        )


async def to_supervisors(
    services: Services,
    session: AsyncSession,
    case: Case,
    supervisors: Sequence[User],
    headline: str,
    *,
    buttons: Sequence[tuple[str, str]] = (),
) -> None:
    """Queue the case (photos, pin, summary) for supervisors; ``headline`` is a msgid, rendered per person."""
    for person in supervisors:
        if person.blocked_bot or person.banned:
            continue
        t = Translator(person.locale)
        summary = case_summary(services, case, t)
        await send_case_media(services, session, case, person, summary, kind=KIND_SUPERVISOR)
        markup = inline_keyboard([[(t(label), data)] for label, data in buttons]) if buttons else None
        await enqueue_text(
            session,
            chat_id=person.telegram_id,
            text=t(headline, number=case.number)
            + "\n"
            + summary
            + "\n"
            + t("Send /case {id} for details.", id=case.id),
            kind=KIND_SUPERVISOR,
            now=services.clock.now(),
            reply_markup=markup,
            user_id=person.id,
            case_id=case.id,
        )


async def unrouted_dispatchers(session: AsyncSession) -> list[User]:
    """Who picks up cases no grid covers: supervisors bound to a district-level unit, and every admin."""
    district_supervisors = (
        select(OfficerBinding.user_id)
        .join(GridUnit, GridUnit.id == OfficerBinding.unit_id)
        .where(OfficerBinding.role == BindingRole.SUPERVISOR, GridUnit.level == UnitLevel.DISTRICT)
    )
    query = (
        select(User).where((User.id.in_(district_supervisors)) | (User.role == Role.ADMIN)).order_by(User.id)
    )
    return list((await session.scalars(query)).all())
