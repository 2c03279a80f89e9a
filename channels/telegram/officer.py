"""Case buttons (Accept / Resolve / Return for officers, Fixed / Not fixed for reporters) and /tasks.

Every press is re-authorised by the case service against the database; a refused press gets an alert in the
presser's language and changes nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes

from channels.telegram.common import GROUP_COMMANDS, OFFICERS, Turn, add_command, turn
from models.cases import Case
from services import cases, notify
from services.cases import CaseActionError
from services.i18n import N_, Translator

Context = ContextTypes.DEFAULT_TYPE
BUTTON_PATTERN = r"^case:(accept|resolve|return|fixed|notfixed):(\d{1,12})$"


def markup(keyboard: dict[str, Any] | None) -> InlineKeyboardMarkup | None:
    """A Bot API keyboard (as the services build it) for PTB."""
    return InlineKeyboardMarkup.de_json(keyboard, None) if keyboard else None


async def on_case_button(update: Update, context: Context) -> None:
    """Run the pressed action; answer with an alert if it is refused."""
    query = update.callback_query
    assert query is not None and query.data is not None
    _, action, raw_id = query.data.split(":")
    case_id = int(raw_id)
    refusal: str | None = None
    async with turn(update, context) as tn:
        try:
            case = await _ACTIONS[action](tn, case_id)
        except CaseActionError as err:
            refusal = err.render(tn.t)
        else:
            outcome = _outcome(action, case, tn.t)
    if refusal is not None:
        await query.answer(refusal, show_alert=True)
        return
    toast, edit, keyboard, follow_up = outcome
    await query.answer(toast or None)
    if edit is not None:
        await query.edit_message_text(edit)
    elif keyboard is not None:
        await query.edit_message_reply_markup(markup(keyboard))
    if follow_up is not None and query.message is not None:
        await context.bot.send_message(query.message.chat.id, follow_up)


async def _accept(tn: Turn, case_id: int) -> Case:
    return await cases.accept(tn.services, tn.session, case_id, tn.user)


async def _resolve(tn: Turn, case_id: int) -> Case:
    return await cases.start_resolve(tn.services, tn.session, case_id, tn.user)


async def _return(tn: Turn, case_id: int) -> Case:
    return await cases.start_return(tn.services, tn.session, case_id, tn.user)


async def _fixed(tn: Turn, case_id: int) -> Case:
    return await cases.confirm(tn.services, tn.session, case_id, tn.user, True)


async def _not_fixed(tn: Turn, case_id: int) -> Case:
    return await cases.confirm(tn.services, tn.session, case_id, tn.user, False)


_ACTIONS = {"accept": _accept, "resolve": _resolve, "return": _return, "fixed": _fixed, "notfixed": _not_fixed}

Outcome = tuple[str, str | None, dict[str, Any] | None, str | None]


def _outcome(action: str, case: Case, t: Translator) -> Outcome:
    """(toast, new text for the pressed message, new keyboard, follow-up message) after a successful press."""
    n = case.number
    if action == "accept":
        return t("You accepted case {number}.", number=n), None, notify.officer_buttons(case, t, accepted=True), None
    if action == "resolve":
        ask = t("Send a photo of the fixed place for case {number}. /cancel to stop.", number=n)
        return "", None, None, ask
    if action == "return":
        ask = t("Why should case {number} go back (回退)? Type the reason. /cancel to stop.", number=n)
        return "", None, None, ask
    if action == "fixed":
        return t("Thank you!"), t("Thank you! Report {number} is closed.", number=n), None, None
    text = t("Thank you. Report {number} went back to the grid officer for rework.", number=n)
    return t("Thank you!"), text, None, None


# ---------------------------------------------------------------- /tasks
def due_text(tn: Turn, case: Case, now: datetime) -> str:
    """The deadline, marked when it has passed."""
    if case.due_at is None:
        return ""
    due = notify.local_time(tn.services, case.due_at)
    if case.due_at < now:
        return tn.t("⚠️ overdue since {deadline}", deadline=due)
    return tn.t("due {deadline}", deadline=due)


def task_line(tn: Turn, case: Case, now: datetime) -> str:
    """One case in a list for staff: number, category, status, place, deadline."""
    parts = [
        case.number,
        notify.category_label(tn.services, case.category, tn.t),
        notify.status_label(case.status, tn.t),
    ]
    parts.append(notify.place_text(case))
    due = due_text(tn, case, now)
    if due:
        parts.append(due)
    return " · ".join(parts)


async def tasks_command(update: Update, context: Context) -> None:
    """/tasks: the officer's open cases, earliest deadline first, overdue ones marked."""
    message = update.effective_message
    assert message is not None
    async with turn(update, context) as tn:
        if tn.user.role not in OFFICERS:
            text = tn.t("This command is for grid officers and supervisors.")
        else:
            now = tn.services.clock.now()
            found = await cases.tasks_for(tn.session, tn.user)
            lines = [task_line(tn, case, now) for case in found]
            text = "\n".join([tn.t("Your open cases:"), *lines]) if lines else tn.t("You have no open cases.")
            if lines:
                text += "\n\n" + tn.t("/case <number> shows a case with its history.")
    await message.reply_text(text)


def register(app: Application) -> None:  # type: ignore[type-arg]
    """Add the case buttons and /tasks."""
    add_command("tasks", N_("Your open cases, earliest deadline first"), OFFICERS)
    app.add_handler(CallbackQueryHandler(on_case_button, pattern=BUTTON_PATTERN), GROUP_COMMANDS)
    app.add_handler(CommandHandler("tasks", tasks_command), GROUP_COMMANDS)
