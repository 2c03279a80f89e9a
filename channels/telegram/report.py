"""The citizen's report flow: /report, /cancel, /skip, the draft's buttons, and every message outside a flow.

The draft lives in the database (services.intake); each update reads it, changes it and asks the next question,
so a restart between two messages changes nothing for the citizen.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from telegram import Message, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes, MessageHandler, filters

from channels.telegram.common import GROUP_COMMANDS, GROUP_INTAKE, Turn, add_command, turn
from channels.telegram.report_buttons import on_button
from channels.telegram.report_media import on_document, on_photo
from channels.telegram.report_views import Reply, place_text, prompt, send_replies
from models.cases import DraftStep
from services import intake, photos
from services.i18n import N_
from services.intake_limits import BANNED, IntakeRefused
from services.intake_places import resolve_address

Context = ContextTypes.DEFAULT_TYPE


@dataclass
class Answer:
    """What to send once the turn is committed."""

    lead: str | None = None
    replies: list[Reply] = field(default_factory=list)
    remove_keyboard: bool = False


async def _send(update: Update, context: Context, answer: Answer) -> None:
    chat = update.effective_chat
    assert chat is not None
    if answer.lead or answer.replies:
        await send_replies(
            context.bot, chat.id, answer.replies, lead=answer.lead, remove_keyboard=answer.remove_keyboard
        )


async def _refused(tn: Turn, err: IntakeRefused) -> Answer:
    """The refusal, followed by the question still open (so the citizen knows where they are)."""
    draft = await intake.find_draft(tn.session, tn.user.id)
    return Answer(tn.t(err.message, **err.values), prompt(tn.services, draft, tn.t) if draft else [])


async def report_command(update: Update, context: Context) -> None:
    """/report: start a report, or carry on with the one in progress."""
    chat = update.effective_chat
    assert chat is not None
    async with turn(update, context) as tn:
        try:
            draft, started = await intake.open_draft(tn.services, tn.session, tn.user, chat.id)
        except IntakeRefused as err:
            answer = Answer(tn.t(err.message, **err.values))
        else:
            lead = None if started else tn.t("You have a report in progress; let's continue.")
            answer = Answer(lead, prompt(tn.services, draft, tn.t))
    await _send(update, context, answer)


async def cancel_command(update: Update, context: Context) -> None:
    """/cancel: leave whatever step the user is in; nothing is sent."""
    async with turn(update, context) as tn:
        paths = await intake.cancel_all(tn.session, tn.user.id)
        if paths is None:
            text = tn.t("There is nothing to cancel.")
        else:
            text = tn.t("Cancelled. Nothing was sent. Send a photo or /report whenever you want to report.")
    await photos.remove_copies(tn.services, paths or [])
    await _send(update, context, Answer(text, remove_keyboard=True))


async def skip_command(update: Update, context: Context) -> None:
    """/skip: no note for this report."""
    async with turn(update, context) as tn:
        draft = await intake.find_draft(tn.session, tn.user.id)
        if draft is None:
            answer = Answer(tn.t("There is nothing to skip. Send a photo or /report to start a report."))
        elif intake.next_step(draft) is not DraftStep.NOTE:
            answer = Answer(tn.t("Only the note can be skipped."), prompt(tn.services, draft, tn.t))
        else:
            intake.skip_note(tn.services, draft)
            answer = Answer(replies=prompt(tn.services, draft, tn.t))
    await _send(update, context, answer)


async def on_message(update: Update, context: Context) -> None:
    """Every private message no earlier handler took: route it by what it carries."""
    message = update.effective_message
    assert message is not None
    if message.photo:
        await on_photo(update, context)
        return
    if message.document is not None:
        await on_document(update, context)
        return
    async with turn(update, context) as tn:
        if tn.user.banned:
            answer = Answer(tn.t(BANNED), remove_keyboard=True)
        elif message.location is not None:
            answer = await _on_location(tn, message)
        elif message.text:
            answer = await _on_text(tn, message.chat_id, message.text)
        else:
            answer = await _on_other(tn)
    await _send(update, context, answer)


async def _on_location(tn: Turn, message: Message) -> Answer:
    """A shared location, a venue, or the first point of a live location (its later moves are edits)."""
    assert message.location is not None
    venue = message.venue
    address = ", ".join(part for part in (venue.title, venue.address) if part) if venue else None
    source = "venue" if venue else ("live" if message.location.live_period else "location")
    lat, lon = message.location.latitude, message.location.longitude
    return await _locate(tn, message.chat_id, lat, lon, address, source)


async def _locate(tn: Turn, chat_id: int, lat: float, lon: float, address: str | None, source: str) -> Answer:
    try:
        draft = await intake.receive_location(
            tn.services, tn.session, tn.user, chat_id, lat, lon, address=address, source=source
        )
    except IntakeRefused as err:
        return await _refused(tn, err)
    lead = tn.t("📍 Location saved: {place}", place=place_text(draft.lat, draft.lon, draft.address))
    return Answer(lead, prompt(tn.services, draft, tn.t), remove_keyboard=True)


async def _on_text(tn: Turn, chat_id: int, text: str) -> Answer:
    """Text: an address at the location step, the note at the note step, otherwise a hint."""
    draft = await intake.find_draft(tn.session, tn.user.id)
    if draft is None:
        return Answer(
            tn.t(
                "To report a problem, send me a photo of it (or /report). "
                "/my shows your reports and /help lists everything I can do."
            )
        )
    step = intake.next_step(draft)
    if step is DraftStep.LOCATION:
        return await _address(tn, chat_id, text)
    if step is DraftStep.NOTE:
        cut = intake.set_note(tn.services, draft, text)
        limit = tn.services.config.reporting.note_max_chars
        lead = tn.t("Your note was longer than {limit} characters; I kept the first {limit}.", limit=limit)
        return Answer(lead if cut else None, prompt(tn.services, draft, tn.t))
    return Answer(tn.t(_TEXT_HINTS[step]), prompt(tn.services, draft, tn.t))


_TEXT_HINTS = {
    DraftStep.PHOTOS: N_("I need a photo of the problem first; text can't replace it."),
    DraftStep.CATEGORY: N_("Please choose the category with the buttons."),
    DraftStep.CONFIRM: N_("Please use the buttons to submit or cancel the report."),
}


async def _address(tn: Turn, chat_id: int, text: str) -> Answer:
    try:
        found = await resolve_address(tn.services, tn.session, text)
    except IntakeRefused as err:
        return Answer(tn.t(err.message, **err.values))
    if found is None:
        query = " ".join(text.split())[:60]
        return Answer(
            tn.t("I could not find «{query}». Try another name, or share the location with the button.", query=query)
        )
    return await _locate(tn, chat_id, found.lat, found.lon, found.address, "address")


async def _on_other(tn: Turn) -> Answer:
    """Stickers, voice, video and anything else the flow cannot use."""
    draft = await intake.find_draft(tn.session, tn.user.id)
    text = tn.t("I can't use stickers, voice messages or videos.")
    if draft is None:
        return Answer(text + "\n" + tn.t("To report a problem, send me a photo of it (or /report)."))
    return Answer(text, prompt(tn.services, draft, tn.t))


def register(app: Application) -> None:  # type: ignore[type-arg]
    """Add /report, /cancel, /skip, the draft buttons and the intake catch-all."""
    add_command("report", N_("Report a problem: photo, category, place"))
    add_command("cancel", N_("Stop what you are doing (nothing is sent)"))
    app.add_handler(CommandHandler("report", report_command), GROUP_COMMANDS)
    app.add_handler(CommandHandler("cancel", cancel_command), GROUP_COMMANDS)
    app.add_handler(CommandHandler("skip", skip_command), GROUP_COMMANDS)
    app.add_handler(CallbackQueryHandler(on_button, pattern=r"^draft:"), GROUP_COMMANDS)
    private = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE  # live-location moves are edits: ignored
    app.add_handler(MessageHandler(private & ~filters.COMMAND, on_message), GROUP_INTAKE)
