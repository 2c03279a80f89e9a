"""/my: the reporter's cases with status, unit and deadline, and each case's history behind a button."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes

from channels.telegram.common import GROUP_COMMANDS, Turn, add_command, turn
from models.cases import Case
from models.status import CaseStatus
from services.i18n import N_, Translator
from services.intake_history import STATUS_LABELS, CaseLine, case_for_follower, history, reporter_cases
from services.notify import category_label, local_time, place_text

Context = ContextTypes.DEFAULT_TYPE
PAGE = 10


def status_text(case: Case, t: Translator) -> str:
    """The case's status as a citizen reads it (a duplicate names the case it joined)."""
    label = t(STATUS_LABELS[CaseStatus(case.status)])
    if case.status == CaseStatus.DUPLICATE and case.parent_case_id is not None:
        return t("Already reported as #{parent}", parent=case.parent_case_id)
    return label


def case_line(tn: Turn, line: CaseLine) -> str:
    """Two lines for one case in the /my list."""
    case, t = line.case, tn.t
    head = (
        f"{case.number} · {local_time(tn.services, case.reported_at)} · {category_label(tn.services, case.category, t)}"
    )
    details = [status_text(case, t)]
    if line.unit_name:
        details.append(line.unit_name)
    if case.due_at is not None and case.status not in (CaseStatus.CLOSED, CaseStatus.REJECTED):
        details.append(t("due {deadline}", deadline=local_time(tn.services, case.due_at)))
    return head + "\n   " + " · ".join(details)


async def my_command(update: Update, context: Context) -> None:
    """List the user's reports, newest first, with a history button for each."""
    message = update.effective_message
    assert message is not None
    markup: InlineKeyboardMarkup | None = None
    async with turn(update, context) as tn:
        lines, total = await reporter_cases(tn.session, tn.user.id, PAGE)
        if not lines:
            text = [tn.t("You have not reported anything yet. Send me a photo of a problem.")]
        else:
            text = [tn.t("Your reports, newest first:"), ""] + [case_line(tn, line) for line in lines]
            if total > len(lines):
                text += ["", tn.t("Showing the latest {shown} of {total}.", shown=len(lines), total=total)]
            buttons = [
                InlineKeyboardButton(
                    tn.t("{number} history", number=line.case.number), callback_data=f"my:case:{line.case.id}"
                )
                for line in lines
            ]
            markup = InlineKeyboardMarkup([buttons[i : i + 2] for i in range(0, len(buttons), 2)])
    await message.reply_text("\n".join(text), reply_markup=markup)


async def history_button(update: Update, context: Context) -> None:
    """Show one case's history to its reporter or a follower; anyone else gets an alert."""
    query = update.callback_query
    assert query is not None
    _, _, raw_id = (query.data or "").partition("my:case:")
    async with turn(update, context) as tn:
        line = await case_for_follower(tn.session, tn.user.id, int(raw_id)) if raw_id.isdigit() else None
        text = await _history_text(tn, line) if line is not None else None
        alert = tn.t("This button is no longer valid.")
    if text is None:
        await query.answer(alert, show_alert=True)
        return
    await query.answer()
    if query.message is not None:
        await context.bot.send_message(query.message.chat.id, text)


async def _history_text(tn: Turn, line: CaseLine) -> str:
    case, t = line.case, tn.t
    lines = [
        t("Case {number}: {category}", number=case.number, category=category_label(tn.services, case.category, t)),
        t("Place: {place}", place=place_text(case)),
        t("Status: {status}", status=status_text(case, t)),
    ]
    if line.unit_name:
        lines.append(t("Grid unit: {unit}", unit=line.unit_name))
    if case.due_at is not None:
        lines.append(t("Deadline: {deadline}", deadline=local_time(tn.services, case.due_at)))
    lines += ["", t("History:")]
    for event in await history(tn.session, case.id):
        entry = f"{local_time(tn.services, event.at)} — {t(STATUS_LABELS[CaseStatus(event.to_status)])}"
        if event.to_status == CaseStatus.REJECTED and event.note:
            entry += f": {event.note}"
        lines.append(entry)
    return "\n".join(lines)


def register(app: Application) -> None:  # type: ignore[type-arg]
    """Add /my and its history buttons."""
    add_command("my", N_("My reports and what became of them"))
    app.add_handler(CommandHandler("my", my_command), GROUP_COMMANDS)
    app.add_handler(CallbackQueryHandler(history_button, pattern=r"^my:case:"), GROUP_COMMANDS)
