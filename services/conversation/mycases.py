"""/my: the reporter's cases with status, unit and deadline, and each case's history behind a choice."""

from __future__ import annotations

from models.cases import Case
from models.status import CaseStatus
from services.conversation import pages, tokens
from services.conversation.officer import place_of
from services.conversation.replies import Reply, shown
from services.conversation.turn import STALE, Turn
from services.intake_history import CaseLine, case_for_follower, history, reporter_cases, reporter_count
from services.messages import Choice, Message, Text, category, status, text, when
from services.sla_status import deadline_note


def status_line(case: Case) -> Text:
    """The case's status in the words every reader of the case sees (a duplicate names the case it joined)."""
    if case.status == CaseStatus.DUPLICATE and case.parent_case_id is not None:
        return text("Already reported as #{parent}", parent=case.parent_case_id)
    return shown(status(case.status))


def case_line(turn: Turn, line: CaseLine) -> Text:
    """Two lines for one case in the /my list."""
    case = line.case
    head = f"{case.number} · {turn.show(when(case.reported_at))} · {turn.show(category(case.category))}"
    details = [turn.render(status_line(case))]
    if line.unit_name:
        details.append(pages.short_place(line.unit_name))
    if deadline := deadline_note(turn.services, case, turn.now, turn.t):
        details.append(deadline)
    return Text.raw(head + "\n   " + " · ".join(details))


async def my_command(turn: Turn) -> Reply:
    """The person's reports, newest first, with a history choice for each; in pages."""
    return Reply(messages=[await my_page(turn, 1)])


async def my_page(turn: Turn, number: int) -> Message:
    """Page ``number`` of the person's reports (read again for whoever asks)."""
    total = await reporter_count(turn.session, turn.user.id)
    if not total:
        return Message((text("You have not reported anything yet. Send me a photo of a problem."),))
    page = pages.page_of(total, number)
    lines = await reporter_cases(turn.session, turn.user.id, pages.PAGE, offset=page.start)
    said = [text("Your reports, newest first:"), Text.raw(""), *(case_line(turn, line) for line in lines)]
    choices = [
        Choice(text("{number} history", number=line.case.number), tokens.my_case(line.case.id)) for line in lines
    ]
    rows = tuple(tuple(choices[i : i + 2]) for i in range(0, len(choices), 2))
    return Message((*said, *pages.footer(page)), rows + pages.navigation("my", page))


async def pick(turn: Turn, token: str) -> Reply:
    """One case's history for its reporter or a follower; anyone else gets an alert."""
    case_id = tokens.parse_my_case(token)
    line = await case_for_follower(turn.session, turn.user.id, case_id) if case_id is not None else None
    if line is None:
        return Reply(alert=Text(STALE))
    return Reply(messages=[Message(await _history(turn, line))])


async def _history(turn: Turn, line: CaseLine) -> tuple[Text, ...]:
    case = line.case
    said = [
        text("Case {number}: {category}", number=case.number, category=category(case.category)),
        text("Place: {place}", place=place_of(case)),
        text("Status: {status}", status=turn.render(status_line(case))),
    ]
    if line.unit_name:
        said.append(text("Grid unit: {unit}", unit=line.unit_name))
    if case.due_at is not None:
        said.append(text("Deadline: {deadline}", deadline=when(case.due_at)))
    said += [Text.raw(""), text("History:")]
    for event in await history(turn.session, case.id):
        entry = f"{turn.show(when(event.at))} — {turn.show(status(event.to_status))}"
        if event.to_status == CaseStatus.REJECTED and event.note:
            entry += f": {event.note}"
        said.append(Text.raw(entry))
    return tuple(said)
