"""The citizen's report flow: /report, /cancel and /skip, and every text, place or other message outside a question.

The draft lives in the database (services.intake); each event reads it, changes it and asks the next question,
so a restart between two messages changes nothing for the citizen.
"""

from __future__ import annotations

from geo.crs import InvalidCoordinates
from geo.typed_point import read_typed_point
from models.cases import DraftStep
from services import intake
from services.conversation.events import Location, Typed
from services.conversation.replies import Reply
from services.conversation.report_views import location_saved, prompt
from services.conversation.turn import Turn, refusal
from services.i18n import N_
from services.intake import DraftState
from services.intake_limits import BANNED, IntakeRefused
from services.intake_places import resolve_address
from services.messages import Text, text

NOT_A_POINT = N_(
    "«{query}» is written like coordinates, but no place has them: the latitude must be between -90 and 90, the "
    "longitude between -180 and 180, and not both 0. Type them latitude first, like «39.9289, 116.4174», or "
    "share the location with the button."
)
READ_SWAPPED = N_("I read «{query}» as longitude, latitude.")
CANCELLED = N_("Cancelled. Nothing was sent. Send a photo or /report whenever you want to report.")
START_HINT = N_("To report a problem, send me a photo of it (or /report).")
_TEXT_HINTS = {
    DraftStep.PHOTOS: N_("I need a photo of the problem first; text can't replace it."),
    DraftStep.CATEGORY: N_("Please choose the category with the buttons."),
    DraftStep.CONFIRM: N_("Please use the buttons to submit or cancel the report."),
}


async def report_command(turn: Turn) -> Reply:
    """/report: start a report, or carry on with the one in progress."""
    state = await turn.state(limit=True)
    try:
        draft, started = await intake.open_draft(turn.services, turn.session, turn.user, state)
    except IntakeRefused as err:
        return Reply(lead=(refusal(err),))
    lead = () if started else (text("You have a report in progress; let's continue."),)
    return Reply(lead=lead, messages=prompt(turn.services, draft))


async def cancel_command(turn: Turn) -> Reply:
    """/cancel: leave whatever step the person is in; nothing is sent."""
    paths = await intake.cancel_all(turn.session, turn.user.id, await turn.state())
    turn.forget_state()
    turn.discard += paths or []
    said = text("There is nothing to cancel.") if paths is None else Text(CANCELLED)
    return Reply(lead=(said,), end_location=True)


async def skip_command(turn: Turn) -> Reply:
    """/skip: no note for this report."""
    draft = (await turn.state()).draft
    if draft is None:
        return Reply(lead=(text("There is nothing to skip. Send a photo or /report to start a report."),))
    if intake.next_step(draft) is not DraftStep.NOTE:
        return Reply(lead=(text("Only the note can be skipped."),), messages=prompt(turn.services, draft))
    intake.skip_note(turn.services, draft)
    return Reply(messages=prompt(turn.services, draft))


async def receive(turn: Turn, event: Typed | Location | None, state: DraftState) -> Reply:
    """A typed text, a place, or (``None``) something the flow cannot use, from someone with no open question."""
    if turn.user.banned:
        return Reply(lead=(Text(BANNED),), end_location=True)
    if isinstance(event, Location):
        return await _locate(turn, event.lat, event.lon, event.address, event.source, state)
    if isinstance(event, Typed) and event.text:
        return await _on_text(turn, event.text, state)
    return _on_other(turn, state)


async def _locate(turn: Turn, lat: float, lon: float, address: str | None, source: str, state: DraftState) -> Reply:
    """A shared location, a venue, a typed address that was found, or the first point of a live location."""
    try:
        draft = await intake.receive_location(
            turn.services, turn.session, turn.user, lat, lon, address=address, source=source, state=state
        )
    except IntakeRefused as err:
        # The refusal, followed by the question still open (so the citizen knows where they are).
        asked = prompt(turn.services, state.draft) if state.draft is not None else []
        return Reply(lead=(refusal(err),), messages=asked)
    if intake.place_unconfirmed(draft):  # far outside the city: asked to confirm (now, or at the location step)
        return Reply(messages=prompt(turn.services, draft))
    return Reply(lead=(location_saved(draft),), messages=prompt(turn.services, draft), end_location=True)


async def _on_text(turn: Turn, said: str, state: DraftState) -> Reply:
    """Text: an address at the location step, the note at the note step, otherwise a hint."""
    draft = state.draft
    if draft is None:
        hint = text(
            "To report a problem, send me a photo of it (or /report). "
            "/my shows your reports and /help lists everything I can do."
        )
        return Reply(lead=(hint,))
    step = intake.next_step(draft)
    if step is DraftStep.LOCATION:
        return await _address(turn, said, state)
    if step is DraftStep.NOTE:
        cut = intake.set_note(turn.services, draft, said)
        limit = turn.services.config.reporting.note_max_chars
        lead = (text("Your note was longer than {limit} characters; I kept the first {limit}.", limit=limit),)
        return Reply(lead=lead if cut else (), messages=prompt(turn.services, draft))
    return Reply(lead=(Text(_TEXT_HINTS[step]),), messages=prompt(turn.services, draft))


async def _address(turn: Turn, said: str, state: DraftState) -> Reply:
    query = " ".join(said.split())[:60]
    try:
        typed = read_typed_point(said)
    except InvalidCoordinates:
        return Reply(lead=(text(NOT_A_POINT, query=query),))
    if typed is not None:  # coordinates typed as text: a WGS-84 point, no address to look up
        reply = await _locate(turn, typed.lat, typed.lon, None, "coordinates", state)
        if typed.swapped and reply.end_location:  # saved
            reply.lead = (text(READ_SWAPPED, query=query), *reply.lead)
        return reply
    try:
        found = await resolve_address(turn.services, turn.session, said)
    except IntakeRefused as err:
        return Reply(lead=(refusal(err),))
    if found is None:
        missing = text(
            "I could not find «{query}». Try another name, or share the location with the button.", query=query
        )
        return Reply(lead=(missing,))
    return await _locate(turn, found.lat, found.lon, found.address, "address", state)


def _on_other(turn: Turn, state: DraftState) -> Reply:
    """Stickers, voice, video and anything else the flow cannot use."""
    refused = text("I can't use stickers, voice messages or videos.")
    if state.draft is None:
        return Reply(lead=(refused, Text(START_HINT)))
    return Reply(lead=(refused,), messages=prompt(turn.services, state.draft))
