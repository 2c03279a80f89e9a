"""The records of each resource, in the words of the specification, rendered in the reader's language."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from models.status import CaseStatus
from services.config import Category
from services.i18n import N_, Translator
from services.intake_submit import Outcome
from services.notify import status_label
from services.public_cases import PublicCase

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
#: The GeoReport statuses are only open and closed; a case the officer reported fixed reads closed (FixMyStreet's
#: "fixed" is closed too) and opens again if the check sends it back for rework.
CLOSED = frozenset({CaseStatus.RESOLVED, CaseStatus.CLOSED, CaseStatus.REJECTED, CaseStatus.DUPLICATE})
OPEN = frozenset(CaseStatus) - CLOSED
GROUPS = {
    "01": N_("City appearance"),
    "02": N_("Advertising"),
    "03": N_("Construction"),
    "04": N_("Emergencies"),
    "05": N_("Street order"),
    "99": N_("Other"),
}
CLOCKS = {"working": N_("working hours"), "emergency": N_("calendar hours")}


def w3(moment: datetime | None, tz: ZoneInfo) -> str | None:
    """A time as the specification writes it, with the city's UTC offset: ``2026-11-16T10:00:00+08:00``."""
    return None if moment is None else moment.astimezone(tz).isoformat(timespec="seconds")


def locale_of(requested: str | None, accept_language: str | None) -> str:
    """``zh_CN`` or ``en``: the ``locale`` parameter, else the first language the client accepts."""
    chosen = requested or (accept_language or "").split(",")[0]
    return "zh_CN" if chosen.strip().lower().startswith("zh") else "en"


def service(category: Category, t: Translator) -> dict[str, Any]:
    """One category as a GeoReport service."""
    other = category.en if t.is_zh else category.zh
    return {
        "service_code": category.code,
        "service_name": category.label(t.locale),
        "description": t(
            "Time limit {limit} ({clock}).", limit=category.limit, clock=t(CLOCKS.get(category.clock, category.clock))
        ),
        "metadata": False,  # no category asks for more than the request's own fields
        "type": "realtime",
        "keywords": ", ".join(dict.fromkeys([category.label(t.locale), other, category.code])),
        "group": t(GROUPS[category.group]) if category.group in GROUPS else category.group,
    }


def definition(category: Category) -> dict[str, Any]:
    """The service definition: the request's own fields are all a category needs, so no attributes."""
    return {"service_code": category.code, "attributes": []}


def status_notes(case: PublicCase, t: Translator) -> str:
    """The status in words, with the note the reporter was given (never the staff's own notes)."""
    if case.status is CaseStatus.DUPLICATE and case.parent_id is not None:
        return t("Duplicate of request {id}.", id=case.parent_id)
    label = status_label(case.status, t)
    return t("{status}: {note}", status=label, note=case.public_note) if case.public_note else label


def request_record(
    case: PublicCase, t: Translator, categories: dict[str, Category], tz: ZoneInfo, media_base: str | None
) -> dict[str, Any]:
    """One case as a GeoReport service request."""
    category = categories.get(case.category)
    media = f"{media_base}/{case.photo_id}.jpg" if media_base and case.photo_id else None
    return {
        "service_request_id": str(case.id),
        "status": "closed" if case.status in CLOSED else "open",
        "status_notes": status_notes(case, t),
        "service_name": category.label(t.locale) if category else case.category,
        "service_code": case.category,
        "description": case.description,
        "agency_responsible": case.unit_name,
        "requested_datetime": w3(case.reported_at, tz),
        "updated_datetime": w3(case.updated_at, tz),
        "expected_datetime": w3(case.due_at, tz),
        "address": case.address,
        "lat": case.lat,
        "long": case.lon,
        "media_url": media,
    }


def service_notice(
    outcome: Outcome, unit: str | None, due: datetime | None, parent: int | None, t: Translator, tz: ZoneInfo
) -> str:
    """What happens next, as the chat reporter is told it."""
    if outcome is Outcome.DUPLICATE:
        return t("This was already reported as request {id}; this request follows it.", id=parent)
    if outcome is Outcome.QUEUED:
        return t("No grid covers this place: a dispatcher will assign the request.")
    deadline = due.astimezone(tz).strftime("%Y-%m-%d %H:%M") if due else "—"
    return t("Passed to {unit}; to be handled by {deadline}.", unit=unit, deadline=deadline)
