"""Case cards: the messages about a case that offered choices, kept showing the case as it is now.

A card is an outbox message about a case that carried choices when it was queued: an officer's assignment card
(Accept / Resolve / Return), a supervisor's card for placing a case (Assign to … / Send back / Reject), the
reporter's "Is the problem fixed?" question and a supervisor's escalation notice (Open / Extend / Reassign).
After every change of a case its service calls ``refresh_cards``, which queues an edit (a row with ``ref_id``: the
channel replaces the delivered message where it can) of each card that no longer reads right: its first line
tells the case's status now, and it keeps only the choices still valid for its reader. Rules:

- a card retired by ``notify.retire_cards`` (taken by a colleague, reassigned, returned, closed by a supervisor)
  keeps its last words;
- of the cards one person got for one case and purpose, only the newest may keep choices (a rework card
  supersedes the first assignment card);
- an officer's card offers Accept / Resolve / Return while the case is dispatched, Resolve / Return to its owner
  while accepted or in rework, nothing otherwise; a placing card keeps its choices while the case still needs
  placing (unrouted, returned, or dispatched to a unit nobody serves); a question keeps Fixed / Not fixed while the
  case is resolved; an escalation notice keeps its choices while the escalation stands: the case is still open,
  its clock running, overdue, and its reader still supervises it. Once it does not (extended past now, moved,
  resolved, suspended, closed), the notice shows the case as it is and offers only Open, to whoever still
  supervises the case;
- a card as it was first queued is edited only when its choices change (its own words, such as "needs rework",
  stay while they are true); an edited card whenever it would read differently. Refreshing twice queues nothing
  the second time.

The choices are only what the card shows: every pick is checked again against the database when it comes back.
"""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from models.cases import Case
from models.outbox import DeliveryStatus, OutboxMessage
from models.status import CLOCK_RUNNING, CaseStatus
from models.users import User
from services import notify, responsibility, sla_notices
from services.cases.access import supervises
from services.context import Services
from services.i18n import N_
from services.messages import Message, Text, from_json, status, text, to_json
from services.outbox import Contact, enqueue

S = CaseStatus

#: The first line of a refreshed card, by the case's status (others say "Status now: …").
HEADLINES = {
    S.CLOSED: N_("This case is closed (结案)."),
    S.REJECTED: N_("This case was rejected."),
}
STATUS_NOW = N_("Status now: {status}")
REPORT_STATUS_NOW = N_("Report {number} — status now: {status}")
#: Kinds of the messages that may be cards (only those queued with choices are).
CARD_KINDS = (notify.KIND_CARD, notify.KIND_SUPERVISOR, notify.KIND_STATUS, sla_notices.KIND_ESCALATION)


async def needs_placing(session: AsyncSession, case: Case) -> bool:
    """Whether a supervisor still has to place the case: unrouted, returned, or at a unit with no officers."""
    current = S(case.status)
    if current in (S.UNROUTED, S.RETURNED):
        return True
    if current is S.DISPATCHED and case.unit_id is not None:
        return not await responsibility.officers_of(session, case.unit_id)
    return False


def _headline(case: Case) -> Text:
    found = HEADLINES.get(S(case.status))
    return text(found, number=case.number) if found else text(STATUS_NOW, status=status(case.status))


def _officer_card(case: Case, reader_id: int, newest: bool) -> Message:
    current = S(case.status)
    choices: notify.Choices = ()
    if newest and current is S.DISPATCHED:
        choices = notify.officer_choices(case)
    elif newest and current in (S.ACCEPTED, S.REWORK) and case.owner_id == reader_id:
        choices = notify.officer_choices(case, accepted=True)
    return Message(lines=(_headline(case), *notify.case_lines(case)), choices=choices)


def _supervisor_card(case: Case) -> Message:
    lines = (_headline(case), *notify.case_lines(case), text("Send /case {id} for details.", id=case.id))
    return Message(lines=lines)


def _escalation_stands(services: Services, case: Case) -> bool:
    """Whether the case is still open with its clock running and overdue (an extension that leaves it late does not
    end the escalation: the sweep keeps its markers too)."""
    return S(case.status) in CLOCK_RUNNING and case.due_at is not None and case.due_at <= services.clock.now()


def _escalation_card(case: Case, supervising: bool) -> Message:
    lines = _supervisor_card(case).lines
    return Message(lines=lines, choices=((sla_notices.open_choice(case),),) if supervising else ())


def _question_card(case: Case) -> Message:
    return Message(lines=(text(REPORT_STATUS_NOW, number=case.number, status=status(case.status)),))


async def refresh_cards(
    services: Services, session: AsyncSession, case: Case, *, answered_by: int | None = None
) -> int:
    """Queue an edit of every card of ``case`` that no longer shows it as it is; returns how many were queued.

    ``answered_by``: a follower whose own question the caller has just answered in place (left alone).
    """
    await session.flush()  # the cards queued by the change itself count (a rework card supersedes the old one)
    query = select(OutboxMessage).where(
        OutboxMessage.case_id == case.id,
        OutboxMessage.status != DeliveryStatus.FAILED,
        or_(
            OutboxMessage.kind == notify.KIND_CARD_EDIT,
            and_(
                OutboxMessage.kind.in_(CARD_KINDS),
                OutboxMessage.ref_id.is_(None),
                OutboxMessage.payload.contains('"choices":'),
            ),
        ),
    )
    rows = list(await session.scalars(query.order_by(OutboxMessage.id)))
    cards = [row for row in rows if row.kind != notify.KIND_CARD_EDIT and row.user_id is not None]
    latest = {card.id: card.payload for card in cards}
    edited: set[int] = set()
    retired: set[int] = set()
    for row in rows:
        if row.kind == notify.KIND_CARD_EDIT and row.ref_id in latest:
            latest[row.ref_id] = row.payload
            edited.add(row.ref_id)
            if (row.dedupe_key or "").startswith("retire:"):
                retired.add(row.ref_id)
    newest: dict[tuple[int | None, str], int] = defaultdict(int)
    for card in cards:
        newest[(card.user_id, card.kind)] = max(newest[(card.user_id, card.kind)], card.id)
    placing = await needs_placing(session, case)
    supervising: dict[int, bool] = {}
    queued = 0
    for card in cards:
        if card.id in retired:
            continue
        is_newest = newest[(card.user_id, card.kind)] == card.id
        if card.kind == notify.KIND_CARD:
            wanted = _officer_card(case, card.user_id or 0, is_newest)
        elif card.kind == notify.KIND_SUPERVISOR:
            if is_newest and placing:
                continue  # its choices still stand
            wanted = _supervisor_card(case)
        elif card.kind == sla_notices.KIND_ESCALATION:
            reader = card.user_id or 0
            if reader not in supervising:
                user = await session.get(User, reader)
                supervising[reader] = user is not None and await supervises(session, user, case)
            if is_newest and supervising[reader] and _escalation_stands(services, case):
                continue  # its choices still stand
            wanted = _escalation_card(case, supervising[reader])
        else:
            if card.user_id == answered_by or (is_newest and S(case.status) is S.RESOLVED):
                continue
            wanted = _question_card(case)
        payload = to_json(wanted)
        if payload == latest[card.id]:
            continue
        if card.id not in edited and from_json(card.payload).choices == wanted.choices:
            continue  # as first queued, with the same choices: its own words still hold
        await enqueue(
            session,
            to=Contact(card.channel, card.address),
            message=wanted,
            kind=notify.KIND_CARD_EDIT,
            now=services.clock.now(),
            user_id=card.user_id,
            case_id=case.id,
            ref_id=card.id,
        )
        queued += 1
    return queued
