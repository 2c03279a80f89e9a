"""Supervisor tools: /queue, /case, /assign, /extend, /suspend, /resume, /close, /reject and the decision choices.

Arguments are parsed here; the case service checks who may do what and answers refusals as ``CaseActionError``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from models.cases import Case
from services import cases
from services.cases import CaseActionError, HistoryEntry
from services.cases.supervisor import place
from services.conversation import pages
from services.conversation.commands import SUPERVISORS
from services.conversation.events import Command
from services.conversation.officer import place_of, task_line
from services.conversation.replies import Edit, Reply
from services.conversation.turn import Turn, case_refusal
from services.i18n import N_
from services.ids import row_id
from services.messages import Message, Text, category, status, text, when

SUPERVISOR_ACTIONS = frozenset({"assign", "sendback", "reject"})
ESCALATION_ACTIONS = frozenset({"open", "extend", "reassign", "move"})
ACTION_LABELS = {
    "report": N_("reported"),
    "duplicate": N_("linked to an earlier report of the same problem"),
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
#: Who placed a case that the reporter's submission routed by itself.
ROUTED_BY_MAP = {
    "dispatch": N_("routed by the grid map"),
    "unrouted": N_("no grid covers the place"),
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


def case_number(said: str) -> int | None:
    """``12`` or ``#12`` as a case id (ASCII digits only: "¹" is a digit to ``isdigit`` but not to ``int``)."""
    return row_id(said.strip().removeprefix("#"))


# ---------------------------------------------------------------- reading
async def queue_command(turn: Turn) -> Reply:
    """/queue: returned and unrouted cases waiting for this supervisor's decision; in pages."""
    return Reply(messages=[await queue_page(turn, 1)])


async def queue_page(turn: Turn, number: int) -> Message:
    """Page ``number`` of the supervisor's queue (read again for whoever asks)."""
    if turn.user.role not in SUPERVISORS:
        return Message((text("This command is for supervisors."),))
    now = turn.now
    found = await cases.queue_for(turn.session, turn.user)
    if not found:
        return Message((text("Nothing is waiting."),))
    page = pages.page_of(len(found), number)
    listed = [task_line(turn, case, now) for case in pages.cut_out(found, page)]
    hint = text("/case <number> shows a case; /assign <number> <unit> dispatches it.")
    said = (text("Waiting for your decision:"), *listed, *pages.footer(page), Text.raw(""), hint)
    return Message(said, pages.navigation("queue", page))


async def case_command(turn: Turn, command: Command) -> Reply:
    """/case <n>: a case's details and history, for the staff who answer for it."""
    case_id = case_number(command.args[0]) if command.args else None
    if case_id is None:
        return Reply.say(Text(CASE_USAGE))
    try:
        case, history = await cases.case_for_staff(turn.session, case_id, turn.user)
    except CaseActionError as err:
        return Reply.say(case_refusal(err))
    return Reply(messages=[Message(await _details(turn, case, history))])


async def _details(turn: Turn, case: Case, history: list[HistoryEntry]) -> tuple[Text, ...]:
    unit = f"{await cases.unit_name(turn.session, case.unit_id)} ({case.unit_id or '—'})"
    lines = [
        text("Case {number}: {category}", number=case.number, category=category(case.category)),
        text("Status: {status}", status=status(case.status)),
        text("Unit: {unit}", unit=unit),
        text("Place: {place}", place=place_of(case)),
        text("Reported: {time}", time=when(case.reported_at)),
    ]
    if case.due_at is not None:
        lines.append(text("Deadline: {deadline}", deadline=when(case.due_at)))
    if case.note:
        lines.append(text("Note: {note}", note=case.note))
    lines += [Text.raw(""), text("History:")]
    for entry in history:
        label = ACTION_LABELS.get(entry.action)
        parts = [turn.show(when(entry.at)), turn.t(label) if label else entry.action]
        if entry.action in ROUTED_BY_MAP and (entry.by_reporter or not entry.actor):
            # The reporter's submission routed the case: nobody chose the unit, the grid map did.
            parts.append(turn.t(ROUTED_BY_MAP[entry.action]))
        elif entry.by_reporter:
            parts.append(turn.t("the reporter"))
        elif entry.actor:
            parts.append(entry.actor)
        if entry.note:
            parts.append(entry.note)
        lines.append(Text.raw(" · ".join(parts)))
    return tuple(lines)


# ---------------------------------------------------------------- deciding
Action = Callable[[Turn, int, tuple[str, ...]], Awaitable[Text]]


async def _dispatched(turn: Turn, case: Case) -> Text:
    unit = await cases.unit_name(turn.session, case.unit_id)
    return text("Case {number} was dispatched to {unit}.", number=case.number, unit=unit)


async def _assign(turn: Turn, case_id: int, rest: tuple[str, ...]) -> Text:
    return await _dispatched(turn, await cases.reassign(turn.services, turn.session, case_id, turn.user, rest[0]))


async def _extend(turn: Turn, case_id: int, rest: tuple[str, ...], seen_due: int | None = None) -> Text:
    due = await cases.extend_deadline(turn.services, turn.session, case_id, turn.user, rest[0], seen_due=seen_due)
    return text("New deadline of case #{id}: {deadline}.", id=case_id, deadline=when(due))


async def _suspend(turn: Turn, case_id: int, rest: tuple[str, ...]) -> Text:
    case = await cases.suspend(turn.services, turn.session, case_id, turn.user, " ".join(rest))
    return text(
        "Case {number} is suspended (挂账); its clock is paused. /resume {id} to continue.",
        number=case.number,
        id=case.id,
    )


async def _resume(turn: Turn, case_id: int, rest: tuple[str, ...]) -> Text:
    case = await cases.resume(turn.services, turn.session, case_id, turn.user)
    return text(
        "Case {number} is active again. New deadline: {deadline}.", number=case.number, deadline=when(case.due_at)
    )


async def _close(turn: Turn, case_id: int, rest: tuple[str, ...]) -> Text:
    case = await cases.close_on_behalf(turn.services, turn.session, case_id, turn.user, " ".join(rest))
    return text("Case {number} is closed (结案).", number=case.number)


async def _reject(turn: Turn, case_id: int, rest: tuple[str, ...]) -> Text:
    case = await cases.reject(turn.services, turn.session, case_id, turn.user, " ".join(rest))
    return text("Case {number} was rejected; the reporter was told why.", number=case.number)


#: command → (action, how many words after the number are required)
DECISIONS: dict[str, tuple[Action, int]] = {
    "assign": (_assign, 1),
    "extend": (_extend, 1),
    "suspend": (_suspend, 0),
    "resume": (_resume, 0),
    "close": (_close, 0),
    "reject": (_reject, 0),
}


async def decision_command(turn: Turn, command: Command) -> Reply:
    """/assign, /extend, /suspend, /resume, /close, /reject: parse, act, answer."""
    action, needed = DECISIONS[command.name]
    case_id = case_number(command.args[0]) if command.args else None
    if case_id is None or len(command.args) - 1 < needed:
        return Reply.say(Text(USAGE[command.name]))
    try:
        return Reply.say(await action(turn, case_id, command.args[1:]))
    except CaseActionError as err:
        return Reply.say(case_refusal(err))


async def _escalation_pick(turn: Turn, action: str, case_id: int, argument: str) -> Reply:
    """Choices on an escalation notice: open the case, extend its deadline, or reassign it (the units are offered
    next, as ``move`` choices)."""
    try:
        if action == "open":
            case, history = await cases.case_for_staff(turn.session, case_id, turn.user)
            return Reply(messages=[Message(await _details(turn, case, history))])
        if action == "extend":
            amount, _, seen = argument.partition(":")
            return Reply.say(await _extend(turn, case_id, (amount,), int(seen) if seen else None))
        if action == "move":
            reply = Reply.say(await _assign(turn, case_id, (argument,)))
            reply.edit = Edit(None, ())  # moved: the other units on offer go
            return reply
        case, choices = await cases.reassign_choices(turn.session, case_id, turn.user)
    except CaseActionError as err:
        return Reply(alert=case_refusal(err))
    if not choices:
        return Reply(alert=text("There is no other unit to move case {number} to.", number=case.number))
    question = text("Move case {number} to which unit?", number=case.number)
    return Reply(messages=[Message((question,), choices)])


async def pick(turn: Turn, action: str, case_id: int, argument: str) -> Reply:
    """Choices on a returned or unrouted case: assign to a unit, send back, reject (asks for the reason); and on
    an escalation notice (``ESCALATION_ACTIONS``). ``argument`` is the unit for assign, the amount for extend."""
    if action in ESCALATION_ACTIONS:
        return await _escalation_pick(turn, action, case_id, argument)
    unit_id = argument
    try:
        if action == "assign":
            done = await _dispatched(turn, await place(turn.services, turn.session, case_id, turn.user, unit_id))
        elif action == "sendback":
            case = await cases.send_back(turn.services, turn.session, case_id, turn.user)
            done = text("Case {number} was sent back to its unit.", number=case.number)
        else:
            case = await cases.start_reject(turn.services, turn.session, case_id, turn.user)
            done = text(
                "Why is case {number} rejected? Type the reason; the reporter will read it. /cancel to stop.",
                number=case.number,
            )
    except CaseActionError as err:
        return Reply(alert=case_refusal(err))
    reply = Reply.say(done)
    if action != "reject":
        reply.edit = Edit(None, ())  # the decision is made: its choices go
    return reply
