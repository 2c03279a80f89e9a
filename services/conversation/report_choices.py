"""The report draft's choices: ``draft:<action>:<draft id>[:<code>]``.

Every pick is checked against the person's current draft in the database: a choice of a finished, expired or
someone else's draft (or a forged token) gets an alert and changes nothing. So does a choice of a step the draft
has moved past (an old category keyboard once the location is asked): the alert says why.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from models.cases import DraftStep, ReportDraft
from services import intake
from services.conversation import tokens
from services.conversation.replies import Edit, Reply
from services.conversation.report import CANCELLED
from services.conversation.report_views import location_saved, prompt, submitted_lines
from services.conversation.turn import Turn, refusal
from services.i18n import N_
from services.intake_limits import BANNED, IntakeRefused
from services.intake_submit import ALREADY_SENT, submit_draft
from services.messages import Text, category, text

ANSWERED = N_("This question was already answered.")
NO_REPORT = N_("There is no report in progress. Send a photo or /report to start one; /my lists the reports you sent.")
EARLIER = N_("This button belongs to an earlier report. Please use the buttons of your current one.")
CATEGORY_CHOSEN = N_("This report has moved on; the category is already chosen.")
LOCATION_SET = N_("This report has moved on; the location is already set.")


async def pick(turn: Turn, token: str) -> Reply:
    """Apply a draft choice after checking it belongs to the person's current draft."""
    if turn.user.banned:
        return Reply(alert=Text(BANNED))
    parsed = tokens.parse_draft(token)
    draft = await intake.draft_for_button(turn.session, turn.user.id, parsed[1]) if parsed else None
    action = _ACTIONS.get(parsed[0]) if parsed else None
    if parsed is None or action is None:
        return Reply(alert=Text(ALREADY_SENT))
    if draft is None and parsed[0] == "submit":  # most often a second tap of Submit
        return Reply(alert=Text(ALREADY_SENT))
    if draft is None:  # sent, cancelled, expired, or not theirs: say what they have now
        current = (await turn.state()).draft
        return Reply(alert=Text(NO_REPORT if current is None else EARLIER))
    try:
        return await action(turn, draft, parsed[2])
    except IntakeRefused as err:
        return Reply(alert=refusal(err))


async def _category(turn: Turn, draft: ReportDraft, code: str) -> Reply:
    if draft.category:  # the keyboard is only offered while the category is missing
        return Reply(alert=Text(ANSWERED if draft.category == code else CATEGORY_CHOSEN))
    intake.set_category(turn.services, draft, code)
    edit = Edit((text("Category: {category}", category=category(code)),))
    return Reply(edit=edit, messages=prompt(turn.services, draft))


async def _photo_location(turn: Turn, draft: ReportDraft, _: str) -> Reply:
    if draft.lat is not None and draft.lon is not None and not intake.place_unconfirmed(draft):
        return Reply(alert=Text(LOCATION_SET))
    await intake.use_photo_location(turn.services, turn.session, draft)
    if intake.place_unconfirmed(draft):
        return Reply(edit=Edit((text("Using the photo's location."),)), messages=prompt(turn.services, draft))
    return _place_taken(turn, draft, text("Using the photo's location."))


async def _far_anyway(turn: Turn, draft: ReportDraft, _: str) -> Reply:
    if not intake.place_unconfirmed(draft):
        return Reply(alert=Text(LOCATION_SET if draft.lat is not None else ANSWERED))
    intake.confirm_place(turn.services, draft)
    return _place_taken(turn, draft, text("Using this place, outside the city's area."))


def _place_taken(turn: Turn, draft: ReportDraft, said: Text) -> Reply:
    """The pressed message says which place was taken; the next question follows, the location keyboard goes."""
    return Reply(
        edit=Edit((said,)), lead=(location_saved(draft),), messages=prompt(turn.services, draft), end_location=True
    )


async def _far_other(turn: Turn, draft: ReportDraft, _: str) -> Reply:
    if not intake.place_unconfirmed(draft):
        return Reply(alert=Text(LOCATION_SET if draft.lat is not None else ANSWERED))
    intake.clear_place(turn.services, draft)
    return Reply(edit=Edit((text("That place was not used."),)), messages=prompt(turn.services, draft))


async def _skip(turn: Turn, draft: ReportDraft, _: str) -> Reply:
    if intake.next_step(draft) is not DraftStep.NOTE:
        return Reply(alert=Text(ANSWERED))
    intake.skip_note(turn.services, draft)
    return Reply(edit=Edit((text("No note."),)), messages=prompt(turn.services, draft))


async def _submit(turn: Turn, draft: ReportDraft, _: str) -> Reply:
    result = await submit_draft(turn.services, turn.session, turn.user, draft.id)
    return Reply(edit=Edit(submitted_lines(result)))


async def _cancel(turn: Turn, draft: ReportDraft, _: str) -> Reply:
    paths = await intake.discard_draft(turn.session, draft)
    if paths is None:  # another turn of theirs sent, cancelled or expired it meanwhile
        return Reply(alert=Text(NO_REPORT))
    turn.discard += paths
    return Reply(edit=Edit((Text(CANCELLED),)))


_ACTIONS: dict[str, Callable[[Turn, ReportDraft, str], Awaitable[Reply]]] = {
    "cat": _category,
    "exif": _photo_location,
    "far": _far_anyway,
    "move": _far_other,
    "skip": _skip,
    "submit": _submit,
    "cancel": _cancel,
}
