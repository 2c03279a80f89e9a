"""Supervisor tools: /queue, /case, /assign, /extend, /suspend, /resume, /close, /reject and the decision buttons.

Arguments are parsed here; the case service checks who may do what and answers refusals as ``CaseActionError``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes

from channels.telegram.common import GROUP_COMMANDS, OFFICERS, SUPERVISORS, Turn, add_command, turn
from channels.telegram.officer import task_line
from models.cases import Case
from services import cases, notify
from services.cases import CaseActionError, HistoryEntry
from services.i18n import N_

Context = ContextTypes.DEFAULT_TYPE

ACTION_LABELS = {
    "submit": N_("reported"),
    "unrouted": N_("waiting for a dispatcher"),
    "dispatch": N_("dispatched"),
    "accept": N_("accepted"),
    "resolve": N_("resolved"),
    "confirm": N_("confirmed fixed by the reporter"),
    "rework": N_("rework (返工)"),
    "return": N_("returned (回退)"),
    "reassign": N_("reassigned"),
    "send_back": N_("sent back to the unit"),
    "reject": N_("rejected"),
    "extend": N_("deadline extended (延期)"),
    "suspend": N_("suspended (挂账)"),
    "resume": N_("resumed"),
    "close": N_("closed by a supervisor"),
    "confirm_timeout": N_("closed without the reporter's answer"),
}

CASE_USAGE = N_("Usage: /case <case number>")
USAGE = {
    "assign": N_("Usage: /assign <case number> <unit id>"),
    "extend": N_("Usage: /extend <case number> <time, e.g. 4h or 1d>"),
    "suspend": N_("Usage: /suspend <case number> <reason>"),
    "resume": N_("Usage: /resume <case number>"),
    "close": N_("Usage: /close <case number> <note>"),
    "reject": N_("Usage: /reject <case number> <reason>"),
}


def case_number(text: str) -> int | None:
    """``12`` or ``#12`` as a case id."""
    digits = text.strip().removeprefix("#")
    return int(digits) if digits.isdigit() and len(digits) <= 12 else None


# ---------------------------------------------------------------- reading
async def queue_command(update: Update, context: Context) -> None:
    """/queue: returned and unrouted cases waiting for this supervisor's decision."""
    message = update.effective_message
    assert message is not None
    async with turn(update, context) as tn:
        if tn.user.role not in SUPERVISORS:
            text = tn.t("This command is for supervisors.")
        else:
            now = tn.services.clock.now()
            found = await cases.queue_for(tn.session, tn.user)
            lines = [task_line(tn, case, now) for case in found]
            text = "\n".join([tn.t("Waiting for your decision:"), *lines]) if lines else tn.t("Nothing is waiting.")
            if lines:
                text += "\n\n" + tn.t("/case <number> shows a case; /assign <number> <unit> dispatches it.")
    await message.reply_text(text)


async def case_command(update: Update, context: Context) -> None:
    """/case <n>: a case's details and history, for the staff who answer for it."""
    message = update.effective_message
    assert message is not None
    case_id = case_number(context.args[0]) if context.args else None
    async with turn(update, context) as tn:
        if case_id is None:
            text = tn.t(CASE_USAGE)
        else:
            try:
                case, history = await cases.case_for_staff(tn.session, case_id, tn.user)
            except CaseActionError as err:
                text = err.render(tn.t)
            else:
                text = await _details(tn, case, history)
    await message.reply_text(text)


async def _details(tn: Turn, case: Case, history: list[HistoryEntry]) -> str:
    t, svc = tn.t, tn.services
    lines = [
        t("Case {number}: {category}", number=case.number, category=notify.category_label(svc, case.category, t)),
        t("Status: {status}", status=notify.status_label(case.status, t)),
        t("Unit: {unit}", unit=f"{await cases.unit_name(tn.session, case.unit_id)} ({case.unit_id or '—'})"),
        t("Place: {place}", place=notify.place_text(case)),
        t("Reported: {time}", time=notify.local_time(svc, case.reported_at)),
    ]
    if case.due_at is not None:
        lines.append(t("Deadline: {deadline}", deadline=notify.local_time(svc, case.due_at)))
    if case.note:
        lines.append(t("Note: {note}", note=case.note))
    lines += ["", t("History:")]
    for entry in history:
        label = ACTION_LABELS.get(entry.action)
        parts = [notify.local_time(svc, entry.at), t(label) if label else entry.action]
        if entry.by_reporter:
            parts.append(t("the reporter"))
        elif entry.actor:
            parts.append(entry.actor)
        if entry.note:
            parts.append(entry.note)
        lines.append(" · ".join(parts))
    return "\n".join(lines)


# ---------------------------------------------------------------- deciding
Action = Callable[[Turn, int, list[str]], Awaitable[str]]


async def _assign(tn: Turn, case_id: int, rest: list[str]) -> str:
    case = await cases.reassign(tn.services, tn.session, case_id, tn.user, rest[0])
    return tn.t(
        "Case {number} was dispatched to {unit}.",
        number=case.number,
        unit=await cases.unit_name(tn.session, case.unit_id),
    )


async def _extend(tn: Turn, case_id: int, rest: list[str]) -> str:
    due = await cases.extend_deadline(tn.services, tn.session, case_id, tn.user, rest[0])
    return tn.t("New deadline of case #{id}: {deadline}.", id=case_id, deadline=notify.local_time(tn.services, due))


async def _suspend(tn: Turn, case_id: int, rest: list[str]) -> str:
    case = await cases.suspend(tn.services, tn.session, case_id, tn.user, " ".join(rest))
    return tn.t(
        "Case {number} is suspended (挂账); its clock is paused. /resume {id} to continue.",
        number=case.number,
        id=case.id,
    )


async def _resume(tn: Turn, case_id: int, rest: list[str]) -> str:
    case = await cases.resume(tn.services, tn.session, case_id, tn.user)
    return tn.t(
        "Case {number} is active again. New deadline: {deadline}.",
        number=case.number,
        deadline=notify.local_time(tn.services, case.due_at),
    )


async def _close(tn: Turn, case_id: int, rest: list[str]) -> str:
    case = await cases.close_on_behalf(tn.services, tn.session, case_id, tn.user, " ".join(rest))
    return tn.t("Case {number} is closed (结案).", number=case.number)


async def _reject(tn: Turn, case_id: int, rest: list[str]) -> str:
    case = await cases.reject(tn.services, tn.session, case_id, tn.user, " ".join(rest))
    return tn.t("Case {number} was rejected; the reporter was told why.", number=case.number)


# command → (action, how many words after the number are required)
COMMANDS: dict[str, tuple[Action, int]] = {
    "assign": (_assign, 1),
    "extend": (_extend, 1),
    "suspend": (_suspend, 0),
    "resume": (_resume, 0),
    "close": (_close, 0),
    "reject": (_reject, 0),
}


async def decision_command(update: Update, context: Context) -> None:
    """/assign, /extend, /suspend, /resume, /close, /reject: parse, act, answer."""
    message = update.effective_message
    assert message is not None and message.text is not None
    name = message.text.split()[0].lstrip("/").split("@")[0].lower()
    action, needed = COMMANDS[name]
    args = list(context.args or [])
    case_id = case_number(args[0]) if args else None
    async with turn(update, context) as tn:
        if case_id is None or len(args) - 1 < needed:
            text = tn.t(USAGE[name])
        else:
            try:
                text = await action(tn, case_id, args[1:])
            except CaseActionError as err:
                text = err.render(tn.t)
    await message.reply_text(text)


async def on_decision_button(update: Update, context: Context) -> None:
    """Buttons on a returned or unrouted case: assign to a unit, send back, reject (asks for the reason)."""
    query = update.callback_query
    assert query is not None and query.data is not None
    _, action, raw_id, *rest = query.data.split(":", 3)
    case_id = int(raw_id)
    refusal: str | None = None
    async with turn(update, context) as tn:
        try:
            if action == "assign":
                case = await cases.reassign(tn.services, tn.session, case_id, tn.user, rest[0] if rest else "")
                done = tn.t(
                    "Case {number} was dispatched to {unit}.",
                    number=case.number,
                    unit=await cases.unit_name(tn.session, case.unit_id),
                )
            elif action == "sendback":
                case = await cases.send_back(tn.services, tn.session, case_id, tn.user)
                done = tn.t("Case {number} was sent back to its unit.", number=case.number)
            else:
                case = await cases.start_reject(tn.services, tn.session, case_id, tn.user)
                done = tn.t(
                    "Why is case {number} rejected? Type the reason; the reporter will read it. /cancel to stop.",
                    number=case.number,
                )
        except CaseActionError as err:
            refusal = err.render(tn.t)
    if refusal is not None:
        await query.answer(refusal, show_alert=True)
        return
    await query.answer()
    if action == "reject":
        if query.message is not None:
            await context.bot.send_message(query.message.chat.id, done)
        return
    await query.edit_message_reply_markup(None)
    if query.message is not None:
        await context.bot.send_message(query.message.chat.id, done)


def register(app: Application) -> None:  # type: ignore[type-arg]
    """Add the supervisor commands and buttons."""
    add_command("case", N_("A case with its history: /case <number>"), OFFICERS)
    add_command("queue", N_("Returned and unrouted cases waiting for you"), SUPERVISORS)
    add_command("assign", N_("Dispatch a case to a unit: /assign <number> <unit>"), SUPERVISORS)
    add_command("extend", N_("Extend a deadline (延期): /extend <number> 4h"), SUPERVISORS)
    add_command("suspend", N_("Suspend a case (挂账): /suspend <number> <reason>"), SUPERVISORS)
    add_command("resume", N_("Resume a suspended case: /resume <number>"), SUPERVISORS)
    add_command("close", N_("Close a case for its handler: /close <number> <note>"), SUPERVISORS)
    add_command("reject", N_("Reject a returned or unrouted case: /reject <number> <reason>"), SUPERVISORS)
    app.add_handler(CommandHandler("queue", queue_command), GROUP_COMMANDS)
    app.add_handler(CommandHandler("case", case_command), GROUP_COMMANDS)
    app.add_handler(CommandHandler(list(COMMANDS), decision_command), GROUP_COMMANDS)
    pattern = r"^case:(assign:\d{1,12}:.+|sendback:\d{1,12}|reject:\d{1,12})$"
    app.add_handler(CallbackQueryHandler(on_decision_button, pattern=pattern), GROUP_COMMANDS)
