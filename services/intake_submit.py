"""Turning a report into a case: number it, link it to a duplicate or route and dispatch it.

``file_case`` is the one path every channel's report takes (a chat draft here, ``services.filing`` for the rest).

The draft row is deleted first, guarded by its row count, so a second Submit (a double tap, a second worker)
finds nothing to submit and creates no second case. Any failure rolls the whole thing back, draft included:
the citizen can press Submit again and nothing they gave is lost.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from models.cases import Case, CaseEvent, CaseFollower, DraftStep, Photo, ReportDraft
from models.grid import GridUnit
from models.status import CaseStatus
from models.users import User
from services.cases import dispatch
from services.context import Services
from services.duplicates import find_duplicate_for, link_duplicate
from services.i18n import N_
from services.intake import draft_for_button, hold_draft, next_step
from services.intake_limits import IntakeRefused, ensure_may_report
from services.routing import RouteDecision, route

ALREADY_SENT = N_("This report was already sent or has expired. /my lists your reports.")


class Outcome(enum.StrEnum):
    DISPATCHED = "dispatched"  # routed to a unit, clock running
    QUEUED = "queued"  # no grid covers the point: a dispatcher assigns it
    DUPLICATE = "duplicate"  # linked to an open case of the same problem


@dataclass(frozen=True)
class Submitted:
    """The new case and what became of it."""

    case: Case
    outcome: Outcome
    unit_name: str | None = None
    due_at: datetime | None = None
    parent: Case | None = None


async def submit_draft(
    services: Services, session: AsyncSession, user: User, draft_id: int, *, source: str | None = None
) -> Submitted:
    """Create the case from the user's draft ``draft_id``; ``IntakeRefused`` when it is gone or incomplete."""
    draft = await draft_for_button(session, user.id, draft_id)  # no query when the caller loaded it already
    if draft is None:
        raise IntakeRefused(ALREADY_SENT)
    if next_step(draft) is not DraftStep.CONFIRM:
        raise IntakeRefused(N_("This report is not complete yet."))
    await ensure_may_report(services, session, user)
    if not await hold_draft(session, draft.id):
        raise IntakeRefused(ALREADY_SENT)
    # Read again once held: a photo another turn of the person added since this one read the draft goes along.
    photos = list(await session.scalars(select(Photo).where(Photo.draft_id == draft.id).order_by(Photo.id)))
    gone = await session.execute(
        delete(ReportDraft).where(ReportDraft.id == draft.id).execution_options(synchronize_session=False)
    )
    if gone.rowcount != 1:  # type: ignore[attr-defined]
        raise IntakeRefused(ALREADY_SENT)
    session.expunge(draft)
    assert draft.lat is not None and draft.lon is not None and draft.category is not None
    report = NewReport(
        reporter_id=user.id,
        category=draft.category,
        lat=draft.lat,
        lon=draft.lon,
        address=draft.address,
        note=draft.note or None,
        language=user.locale,
        # The channel the report came in on (the one the reporter is writing from).
        source=source or user.contact_channel or "",
    )
    return await file_case(services, session, report, photos)


@dataclass(frozen=True)
class NewReport:
    """What a report says, whichever channel it came by; the point is WGS-84 and already validated."""

    reporter_id: int
    category: str
    lat: float
    lon: float
    address: str | None
    note: str | None
    language: str
    source: str


async def file_case(
    services: Services, session: AsyncSession, report: NewReport, photos: Sequence[Photo] = ()
) -> Submitted:
    """Create the case with its photos, then link it to an open duplicate or route and dispatch it."""
    # Routing only reads: done before the case's first write, it keeps the database's write lock shorter.
    decision = await route(services, session, report.lat, report.lon, report.category)
    now = services.clock.now()
    case = Case(
        reporter_id=report.reporter_id,
        category=report.category,
        status=CaseStatus.SUBMITTED,
        lat=report.lat,
        lon=report.lon,
        address=report.address,
        note=report.note,
        language=report.language,
        source=report.source,
        reported_at=now,
    )
    case.events.append(
        CaseEvent(
            at=now, actor_id=report.reporter_id, from_status=None, to_status=CaseStatus.SUBMITTED, action="report"
        )
    )
    for photo in photos:
        photo.draft_id = None
    case.photos = list(photos)  # set, not appended to: a report without photos must not lazy-load the list
    session.add(case)
    await session.flush()
    session.add(CaseFollower(case_id=case.id, user_id=report.reporter_id))
    return await _place(services, session, report.reporter_id, case, decision)


async def _place(
    services: Services, session: AsyncSession, actor_id: int, case: Case, decision: RouteDecision
) -> Submitted:
    parent = await find_duplicate_for(services, session, case)
    if parent is not None:
        await link_duplicate(services, session, case, parent, actor_id=actor_id)
        await session.flush()
        return Submitted(case, Outcome.DUPLICATE, parent=parent)
    await dispatch(services, session, case, decision, actor_id=actor_id)
    await session.flush()
    if case.status == CaseStatus.UNROUTED or case.unit_id is None:
        return Submitted(case, Outcome.QUEUED)
    name = decision.unit_name
    if name is None:
        unit = await session.get(GridUnit, case.unit_id)
        name = unit.name if unit else case.unit_id
    return Submitted(case, Outcome.DISPATCHED, name, case.due_at)
