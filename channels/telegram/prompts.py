"""Answers to a question the bot asked (the after-photo, its note, a return or reject reason).

The question is a ``PendingInput`` row, so it survives restarts. A user with an open question has their next
photo or text taken as the answer (and nothing else sees it); a wrong kind of message gets a clear answer and
the question stays. ``/skip`` and ``/cancel`` belong to the question while one is open, so they are handled in a
group before the commands; without an open question they fall through to the other uses of those commands.
"""

from __future__ import annotations

from sqlalchemy import select
from telegram import Message, Update
from telegram.ext import Application, ApplicationHandlerStop, CommandHandler, ContextTypes, MessageHandler, filters

from channels.telegram.common import GROUP_COMMANDS, GROUP_PROMPTS, Turn, services, turn
from models.cases import PendingInput
from models.users import User
from services import cases
from services.cases import CaseActionError, ProofPhoto
from services.i18n import N_

Context = ContextTypes.DEFAULT_TYPE
#: Runs before the commands, so an open question's /skip and /cancel win over the report flow's.
GROUP_PROMPT_COMMANDS = GROUP_COMMANDS - 1

ASK_NOTE = N_("Got it. Add a short note for the reporter, or /skip to finish.")


async def _has_question(update: Update, context: Context) -> bool:
    """A cheap read: does the sender have an open question? (Most messages are not answers.)"""
    if update.effective_user is None:
        return False
    query = (
        select(PendingInput.user_id)
        .join(User, User.id == PendingInput.user_id)
        .where(User.telegram_id == update.effective_user.id)
    )
    # A bare connection, not a unit of work: one statement needs no session, identity map or ORM results.
    async with services(context).db.engine.connect() as conn:
        return await conn.scalar(query) is not None


def proof_photo(message: Message) -> ProofPhoto | None:
    """The largest size of a photo, or an image sent as a file."""
    if message.photo:
        best = message.photo[-1]
        return ProofPhoto(best.file_id, best.file_unique_id, best.width, best.height, best.file_size)
    document = message.document
    if document is not None and (document.mime_type or "").startswith("image/"):
        return ProofPhoto(document.file_id, document.file_unique_id, file_size=document.file_size)
    return None


async def on_answer(update: Update, context: Context) -> None:
    """Take the message as the answer to the user's open question, if they have one."""
    message = update.effective_message
    if message is None or not await _has_question(update, context):
        return
    async with turn(update, context) as tn:
        pending = await cases.pending_input(tn.session, tn.user)
        if pending is None:
            return
        reply = await _answer(tn, pending, message)
    if reply:
        await message.reply_text(reply)
    raise ApplicationHandlerStop


async def on_prompt_command(update: Update, context: Context) -> None:
    """/skip or /cancel while a question is open."""
    message = update.effective_message
    if message is None or message.text is None or not await _has_question(update, context):
        return
    command = message.text.split()[0].lstrip("/").split("@")[0].lower()
    async with turn(update, context) as tn:
        pending = await cases.pending_input(tn.session, tn.user)
        if pending is None:
            return
        if command == "cancel":
            await cases.forget_input(tn.session, tn.user)
            reply = tn.t("Cancelled. Case #{id} is unchanged.", id=pending.case_id)
        else:
            reply = await _skip(tn, pending)
    await message.reply_text(reply)
    raise ApplicationHandlerStop


async def _skip(tn: Turn, pending: PendingInput) -> str:
    if pending.kind == cases.ASK_RESOLVE_NOTE:
        return await _finish(tn, pending, None)
    if pending.kind == cases.ASK_RESOLVE_PHOTO:
        return tn.t("The after-photo is required. Please send a photo of the fixed place, or /cancel.")
    return tn.t("A reason is required. Please type it, or /cancel.")


async def _answer(tn: Turn, pending: PendingInput, message: Message) -> str | None:
    """Act on the answer; returns the reply (None: stay quiet, e.g. the rest of an album)."""
    photo = proof_photo(message)
    text = (message.text or "").strip()
    if pending.kind in (cases.ASK_RESOLVE_PHOTO, cases.ASK_RESOLVE_NOTE):
        if photo is not None:
            return await _photo(tn, pending, message, photo)
        if pending.kind == cases.ASK_RESOLVE_NOTE and text:
            return await _finish(tn, pending, text)
        if pending.kind == cases.ASK_RESOLVE_NOTE:
            return tn.t("Please type a note for the reporter, or /skip to finish.")
        return tn.t("Please send a photo of the fixed place (as a photo), or /cancel.")
    if not text:
        return tn.t("Please type the reason as a text message, or /cancel.")
    try:
        if pending.kind == cases.ASK_RETURN_REASON:
            case = await cases.return_case(tn.services, tn.session, pending.case_id or 0, tn.user, text)
            return tn.t("Case {number} was returned (回退) to the supervisor.", number=case.number)
        case = await cases.reject(tn.services, tn.session, pending.case_id or 0, tn.user, text)
        return tn.t("Case {number} was rejected; the reporter was told why.", number=case.number)
    except CaseActionError as err:
        await cases.forget_input(tn.session, tn.user)  # the case moved on: the question no longer applies
        return err.render(tn.t)


async def _photo(tn: Turn, pending: PendingInput, message: Message, photo: ProofPhoto) -> str | None:
    """An after-photo: a single photo with a caption resolves at once; otherwise ask for the note."""
    caption = (message.caption or "").strip()
    group = message.media_group_id
    if pending.kind == cases.ASK_RESOLVE_PHOTO and caption and group is None:
        await cases.stage_proof_photo(tn.session, tn.user, pending, photo)
        return await _finish(tn, pending, caption)
    first_of_group = await cases.stage_proof_photo(tn.session, tn.user, pending, photo, group=group, note=caption)
    return tn.t(ASK_NOTE) if first_of_group else None


async def _finish(tn: Turn, pending: PendingInput, note: str | None) -> str:
    """Resolve with the staged photos and ``note`` (or the caption kept with them)."""
    photos = cases.staged_photos(pending)
    note = note or cases.staged_note(pending)
    try:
        case = await cases.resolve(tn.services, tn.session, pending.case_id or 0, tn.user, photos, note)
    except CaseActionError as err:
        if err.message != cases.NEED_PHOTO:
            await cases.forget_input(tn.session, tn.user)
        return err.render(tn.t)
    return tn.t("Case {number} is resolved. The reporter will be asked to confirm.", number=case.number)


def register(app: Application) -> None:  # type: ignore[type-arg]
    """Add the answer catcher and the question's /skip and /cancel."""
    app.add_handler(CommandHandler(["skip", "cancel"], on_prompt_command), GROUP_PROMPT_COMMANDS)
    private = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE & ~filters.COMMAND
    app.add_handler(MessageHandler(private, on_answer), GROUP_PROMPTS)
