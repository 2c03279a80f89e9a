"""The report draft's inline buttons: ``draft:<action>:<draft_id>[:<code>]``.

Every press is checked against the presser's current draft in the database: a button of a finished, expired or
someone else's draft (or forged data) gets an alert and changes nothing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from dataclasses import dataclass, field

from telegram import CallbackQuery, Update
from telegram.error import BadRequest
from telegram.ext import ContextTypes

from channels.telegram.common import Turn, turn
from channels.telegram.report_views import Reply, place_text, prompt, send_replies, submitted_text
from models.cases import DraftStep, ReportDraft
from services import intake, photos
from services.i18n import N_
from services.intake_limits import BANNED, IntakeRefused
from services.intake_submit import ALREADY_SENT, submit_draft
from services.notify import category_label

Context = ContextTypes.DEFAULT_TYPE
ANSWERED = N_("This question was already answered.")


@dataclass
class Press:
    """The answer to a press: an alert (nothing changed), or an edit of the pressed message and new prompts."""

    alert: str | None = None
    edit: str | None = None
    lead: str | None = None
    replies: list[Reply] = field(default_factory=list)
    remove_keyboard: bool = False
    cleanup: list[str] = field(default_factory=list)


def parse(data: str) -> tuple[str, int, str] | None:
    """(action, draft id, argument) from callback data, or None when it is not well formed."""
    parts = data.split(":")
    if len(parts) not in (3, 4) or parts[0] != "draft" or not parts[2].isdigit():
        return None
    return parts[1], int(parts[2]), parts[3] if len(parts) == 4 else ""


async def on_button(update: Update, context: Context) -> None:
    """Apply a draft button after checking it belongs to the presser's current draft."""
    query = update.callback_query
    assert query is not None
    parsed = parse(query.data or "")
    async with turn(update, context) as tn:
        press = await _apply(tn, parsed)
    await photos.remove_copies(tn.services, press.cleanup)
    await _answer(query, context, press)


async def _apply(tn: Turn, parsed: tuple[str, int, str] | None) -> Press:
    if tn.user.banned:
        return Press(alert=tn.t(BANNED))
    draft = await intake.draft_for_button(tn.session, tn.user.id, parsed[1]) if parsed else None
    if parsed is None or draft is None:
        return Press(alert=tn.t(ALREADY_SENT))
    action, _, argument = parsed
    try:
        handler = _ACTIONS.get(action)
        return await handler(tn, draft, argument) if handler else Press(alert=tn.t(ALREADY_SENT))
    except IntakeRefused as err:
        return Press(alert=tn.t(err.message, **err.values))


async def _category(tn: Turn, draft: ReportDraft, code: str) -> Press:
    if draft.category == code and intake.next_step(draft) is not DraftStep.CATEGORY:
        return Press(alert=tn.t(ANSWERED))
    intake.set_category(tn.services, draft, code)
    edit = tn.t("Category: {category}", category=category_label(tn.services, code, tn.t))
    return Press(edit=edit, replies=prompt(tn.services, draft, tn.t))


async def _photo_location(tn: Turn, draft: ReportDraft, _: str) -> Press:
    intake.use_photo_location(tn.services, draft)
    lead = tn.t("📍 Location saved: {place}", place=place_text(draft.lat, draft.lon, draft.address))
    return Press(
        edit=tn.t("Using the photo's location."),
        lead=lead,
        replies=prompt(tn.services, draft, tn.t),
        remove_keyboard=True,
    )


async def _skip(tn: Turn, draft: ReportDraft, _: str) -> Press:
    if intake.next_step(draft) is not DraftStep.NOTE:
        return Press(alert=tn.t(ANSWERED))
    intake.skip_note(tn.services, draft)
    return Press(edit=tn.t("No note."), replies=prompt(tn.services, draft, tn.t))


async def _submit(tn: Turn, draft: ReportDraft, _: str) -> Press:
    result = await submit_draft(tn.services, tn.session, tn.user, draft.id)
    return Press(edit=submitted_text(tn.services, result, tn.t))


async def _cancel(tn: Turn, draft: ReportDraft, _: str) -> Press:
    paths = await intake.discard_draft(tn.session, draft)
    text = tn.t("Cancelled. Nothing was sent. Send a photo or /report whenever you want to report.")
    return Press(edit=text, cleanup=paths)


_ACTIONS = {"cat": _category, "exif": _photo_location, "skip": _skip, "submit": _submit, "cancel": _cancel}


async def _answer(query: CallbackQuery, context: Context, press: Press) -> None:
    if press.alert is not None:
        await query.answer(press.alert, show_alert=True)
        return
    # The toast, the edit of the pressed message and the next question are independent: send them together.
    calls: list[Awaitable[object]] = [query.answer()]
    if press.edit is not None:
        calls.append(_edit(query, press.edit))
    if query.message is not None and (press.lead or press.replies):
        calls.append(
            send_replies(
                context.bot,
                query.message.chat.id,
                press.replies,
                lead=press.lead,
                remove_keyboard=press.remove_keyboard,
            )
        )
    await asyncio.gather(*calls)


async def _edit(query: CallbackQuery, text: str) -> None:
    try:
        await query.edit_message_text(text)
    except BadRequest:  # the message is too old to edit, or already reads the same: the answer still goes out
        pass
