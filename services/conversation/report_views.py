"""What the report flow says, in the project's terms: each question with its choices, the summary, the outcome."""

from __future__ import annotations

from models.cases import DraftStep, ReportDraft
from services.context import Services
from services.conversation import tokens
from services.conversation.replies import Choices, shown
from services.intake import next_step, place_unconfirmed
from services.intake_submit import Outcome, Submitted
from services.messages import Choice, Message, Text, category, msg, text, when
from services.routing import grid_index


def place_text(lat: float | None, lon: float | None, address: str | None) -> str:
    """An address with its coordinates, or the coordinates alone."""
    if lat is None or lon is None:
        return "—"
    coordinates = f"{lat:.5f}, {lon:.5f}"
    return f"{address} ({coordinates})" if address else coordinates


def category_choices(services: Services, draft_id: int) -> Choices:
    """The configured catalog, two per row."""
    choices = [
        Choice(shown(category(c.code)), tokens.draft("cat", draft_id, c.code)) for c in services.config.categories
    ]
    return tuple(tuple(choices[i : i + 2]) for i in range(0, len(choices), 2))


def summary_lines(draft: ReportDraft) -> tuple[Text, ...]:
    """What will be sent, for the citizen to check."""
    return (
        text("Please check your report:"),
        text("Category: {category}", category=category(draft.category or "")),
        text("Place: {place}", place=place_text(draft.lat, draft.lon, draft.address)),
        text("Photos: {count}", count=len(draft.photos)),
        text("Note: {note}", note=draft.note or msg("(none)")),
    )


def prompt(services: Services, draft: ReportDraft) -> list[Message]:
    """The question for the draft's current step, with its choices."""
    step = next_step(draft)
    limits = services.config.reporting
    if step is DraftStep.PHOTOS:
        ask = text("Send 1 to {max} photos of the problem: as photos, an album or image files.", max=limits.max_photos)
        return [Message((ask,))]
    if step is DraftStep.CATEGORY:
        return [Message((text("What kind of problem is it?"),), category_choices(services, draft.id))]
    if step is DraftStep.LOCATION and place_unconfirmed(draft):
        return [far_question(services, draft)]
    if step is DraftStep.LOCATION:
        where = text("Where is it? Tap «📍 Send my location» below, share a place, or type an address or coordinates.")
        asked = [Message((where,), ask_location=True)]
        if draft.exif_lat is not None and draft.exif_lon is not None:
            use = Choice(text("Use the photo's location"), tokens.draft("exif", draft.id))
            place = place_text(draft.exif_lat, draft.exif_lon, None)
            asked.append(Message((text("Your photo carries a location: {place}. Use it?", place=place),), ((use,),)))
        return asked
    if step is DraftStep.NOTE:
        skip = Choice(text("Skip"), tokens.draft("skip", draft.id))
        ask = text(
            "Add a short note for the officer (at most {limit} characters), or tap Skip.",
            limit=limits.note_max_chars,
        )
        return [Message((ask,), ((skip,),))]
    submit = Choice(text("✅ Submit"), tokens.draft("submit", draft.id))
    cancel = Choice(text("✖ Cancel"), tokens.draft("cancel", draft.id))
    return [Message(summary_lines(draft), ((submit, cancel),))]


def far_question(services: Services, draft: ReportDraft) -> Message:
    """A place far outside the city: use it anyway, or send another?"""
    place = place_text(draft.lat, draft.lon, draft.address)
    distance = None
    if draft.lat is not None and draft.lon is not None:
        distance = grid_index(services).distance_to_area_m(draft.lat, draft.lon)
    if distance:
        said = text(
            "📍 {place} is outside the city's area, about {km} km from it. Reports here go to the city's grid "
            "officers: is this the right place?",
            place=place,
            km=f"{distance / 1000:,.0f}",
        )
    else:
        said = text(
            "📍 {place} is outside the city's area. Reports here go to the city's grid officers: is this the right "
            "place?",
            place=place,
        )
    use = Choice(text("Use it anyway"), tokens.draft("far", draft.id))
    other = Choice(text("Send another location"), tokens.draft("move", draft.id))
    return Message((said,), ((use,), (other,)))


def submitted_lines(result: Submitted) -> tuple[Text, ...]:
    """What became of the report."""
    number = result.case.number
    if result.outcome is Outcome.DUPLICATE and result.parent is not None:
        return (
            text(
                "This problem was already reported as {parent}. Your report {number} is linked to it, "
                "and you will receive the updates of {parent}.",
                parent=result.parent.number,
                number=number,
            ),
        )
    if result.outcome is Outcome.DISPATCHED:
        head = text(
            "✅ Report {number} received and sent to {unit}. It should be handled by {deadline}.",
            number=number,
            unit=result.unit_name or "—",
            deadline=when(result.due_at),
        )
    else:
        head = text(
            "✅ Report {number} received. No grid unit covers this place, so a dispatcher will assign it.",
            number=number,
        )
    return head, text("I will tell you when its status changes. /my lists your reports.")


def location_saved(draft: ReportDraft) -> Text:
    """The acknowledgement of a place."""
    return text("📍 Location saved: {place}", place=place_text(draft.lat, draft.lon, draft.address))
