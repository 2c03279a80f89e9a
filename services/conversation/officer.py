"""Case choices (Accept / Resolve / Return for officers, Fixed / Not fixed for reporters) and /tasks.

Every pick is re-authorised by the case service against the database; a refused pick gets an alert in the
picker's language and changes nothing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

from models.cases import Case
from services import cases, notify
from services.cases import CaseActionError
from services.conversation import pages
from services.conversation.commands import OFFICERS
from services.conversation.replies import Edit, Reply
from services.conversation.turn import Turn, case_refusal
from services.messages import Message, Text, category, status, text, when

OFFICER_ACTIONS = frozenset({"accept", "resolve", "return", "fixed", "notfixed"})


async def pick(turn: Turn, action: str, case_id: int) -> Reply:
    """Run the picked action; an alert if it is refused."""
    try:
        case = await _ACTIONS[action](turn, case_id)
    except CaseActionError as err:
        return Reply(alert=case_refusal(err))
    n = case.number
    if action == "accept":
        accepted = notify.officer_choices(case, accepted=True)  # the card keeps Resolve / Return
        return Reply(toast=text("You accepted case {number}.", number=n), edit=Edit(None, accepted))
    if action == "resolve":
        return Reply.say(text("Send a photo of the fixed place for case {number}. /cancel to stop.", number=n))
    if action == "return":
        return Reply.say(text("Why should case {number} go back (回退)? Type the reason. /cancel to stop.", number=n))
    if action == "fixed":
        return Reply(toast=text("Thank you!"), edit=Edit((text("Thank you! Report {number} is closed.", number=n),)))
    done = text("Thank you. Report {number} went back to the grid officer for rework.", number=n)
    return Reply(toast=text("Thank you!"), edit=Edit((done,)))


async def _accept(turn: Turn, case_id: int) -> Case:
    return await cases.accept(turn.services, turn.session, case_id, turn.user)


async def _resolve(turn: Turn, case_id: int) -> Case:
    return await cases.start_resolve(turn.services, turn.session, case_id, turn.user)


async def _return(turn: Turn, case_id: int) -> Case:
    return await cases.start_return(turn.services, turn.session, case_id, turn.user)


async def _fixed(turn: Turn, case_id: int) -> Case:
    return await cases.confirm(turn.services, turn.session, case_id, turn.user, True)


async def _not_fixed(turn: Turn, case_id: int) -> Case:
    return await cases.confirm(turn.services, turn.session, case_id, turn.user, False)


_ACTIONS: dict[str, Callable[[Turn, int], Awaitable[Case]]] = {
    "accept": _accept,
    "resolve": _resolve,
    "return": _return,
    "fixed": _fixed,
    "notfixed": _not_fixed,
}


# ---------------------------------------------------------------- /tasks
def place_of(case: Case) -> str:
    """The case's address, or its coordinates when no address is known."""
    return case.address or f"{case.lat:.5f}, {case.lon:.5f}"


def due_line(case: Case, now: datetime) -> Text | None:
    """The deadline, marked when it has passed."""
    if case.due_at is None:
        return None
    if case.due_at < now:
        return text("⚠️ overdue since {deadline}", deadline=when(case.due_at))
    return text("due {deadline}", deadline=when(case.due_at))


def task_line(turn: Turn, case: Case, now: datetime) -> Text:
    """One case in a list for staff: number, category, status, place (shortened), deadline."""
    place = pages.short_place(place_of(case))
    parts = [case.number, turn.show(category(case.category)), turn.show(status(case.status)), place]
    due = due_line(case, now)
    if due is not None:
        parts.append(turn.render(due))
    return Text.raw(" · ".join(parts))


async def tasks_command(turn: Turn) -> Reply:
    """/tasks: the officer's open cases, earliest deadline first, overdue ones marked; in pages."""
    return Reply(messages=[await tasks_page(turn, 1)])


async def tasks_page(turn: Turn, number: int) -> Message:
    """Page ``number`` of the officer's open cases (read again for whoever asks)."""
    if turn.user.role not in OFFICERS:
        return Message((text("This command is for grid officers and supervisors."),))
    now = turn.now
    found = await cases.tasks_for(turn.session, turn.user)
    if not found:
        return Message((text("You have no open cases."),))
    page = pages.page_of(len(found), number)
    listed = [task_line(turn, case, now) for case in pages.cut_out(found, page)]
    hint = text("/case <number> shows a case with its history.")
    said = (text("Your open cases:"), *listed, *pages.footer(page), Text.raw(""), hint)
    return Message(said, pages.navigation("tasks", page))
