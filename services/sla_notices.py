"""What the SLA sweep's notices say, and the outbox rows that carry them, in each recipient's language.

Texts name the case, its category, its unit and its deadline in the city's time zone, and say how much time is
left or how overdue it is. Each row carries a ``dedupe_key`` (``sla:<case>:<deadline>:<notice>:<user>``), so
even a sweep that lost its claim to another one cannot queue a notice twice. The key is made of what the
sweep read from the case, never of the sweep's own time: an escalation names its level, a chase the notice it
follows (``last_chase_at``), so two sweeps at different times that read the same markers write the same keys.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from models.cases import Case
from models.outbox import DeliveryStatus
from services.context import Services
from services.deadlines import SlaAction
from services.i18n import N_, Translator
from services.messages import (
    Choice,
    Message,
    Ref,
    Text,
    category,
    duration,
    msg,
    render_lines,
    text,
    to_json,
    when,
)
from services.sla_recipients import Directory, Recipient

#: The columns of a case the sweep reads; the rest of the row stays in the database.
SWEPT_COLUMNS = (
    Case.id,
    Case.status,
    Case.category,
    Case.unit_id,
    Case.chain,
    Case.owner_id,
    Case.due_at,
    Case.clock_started_at,
    Case.clock_unit,
    Case.resolved_at,
    Case.reminder_sent_at,
    Case.escalation_level,
    Case.last_chase_at,
)


@dataclass(slots=True)
class SweptCase:
    """A case as the sweep sees it: plain values, so a batch of a thousand loads in milliseconds."""

    id: int
    status: str
    category: str
    unit_id: str | None
    chain: str
    owner_id: int | None
    due_at: datetime | None
    clock_started_at: datetime | None
    clock_unit: str | None
    resolved_at: datetime | None
    reminder_sent_at: datetime | None
    escalation_level: int
    last_chase_at: datetime | None
    next_check_at: datetime | None = None

    @classmethod
    def from_row(cls, row: Sequence[Any]) -> SweptCase:
        """From a row of ``SWEPT_COLUMNS``."""
        return cls(*row)

    @property
    def number(self) -> str:
        """The number people see, e.g. ``#42``."""
        return f"#{self.id}"


def notice_rows(
    services: Services, case: SweptCase, action: SlaAction, directory: Directory, now: datetime
) -> list[tuple[Recipient, dict[str, Any]]]:
    """Outbox rows for one notice, one per reachable recipient (the text is rendered in each one's language later)."""
    if action.kind == "escalation":
        recipients = directory.escalation_targets(case, action.number)
    elif action.kind == "escalated":
        recipients = directory.followers_of(case.id)
    else:
        recipients = directory.handlers_of(case)
    assert case.due_at is not None
    # The deadline is part of the key: after an extension or a rework the same notice is a new one.
    stem = f"sla:{case.id}:{int(case.due_at.timestamp())}:{action.kind}"
    if action.kind == "escalation":
        stem += f":{action.number}"
    elif action.kind == "chase":
        assert case.last_chase_at is not None, "a chase follows an overdue notice or a chase"
        stem += f":{int(case.last_chase_at.timestamp() * 1_000_000)}"
    kind = f"sla_{action.kind}"  # KIND_ESCALATION for an escalation
    rows = []
    payload: str | None = None  # the same message for everyone: it is rendered per reader at delivery
    for person in recipients:
        if not person.reachable:
            continue
        if payload is None:
            lines = notice_lines(case, action, directory, now)
            payload = to_json(Message(lines=lines, choices=notice_choices(case, action)))
        row = {
            "channel": person.channel,
            "address": person.address,
            "user_id": person.id,
            "kind": kind,
            "payload": payload,
            "case_id": case.id,
            "dedupe_key": f"{stem}:{person.id}",
            "ref_id": None,
            "status": DeliveryStatus.PENDING,
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
        }
        rows.append((person, row))
    return rows


def notice_lines(case: SweptCase, action: SlaAction, directory: Directory, now: datetime) -> tuple[Text, ...]:
    """What ``action`` says about ``case``: message ids with values, the reader's words filled in at delivery."""
    assert case.due_at is not None
    values = {
        "number": case.number,
        "category": category(case.category),
        "unit": directory.unit_name(case),
        "deadline": when(case.due_at),
    }
    if action.kind == "escalated":
        line = text(
            "🔔 Your report {number} ({category}, {unit}) was not handled by its deadline, {deadline}: it has been "
            "escalated to the supervisors (督办). We will tell you when it is handled.",
            **values,
        )
        return (line, text("Send /my to see your reports."))
    if action.kind == "reminder":
        line = text(
            "⏰ Reminder: case {number} ({category}, {unit}) is due at {deadline}, in {left}.",
            left=duration(case.due_at - now),
            **values,
        )
    elif action.kind == "overdue":
        line = text(
            "⚠️ Case {number} ({category}, {unit}) is overdue: the deadline was {deadline}. "
            "Please handle it now, or ask your supervisor for an extension.",
            **values,
        )
    elif action.kind == "chase":
        line = text(
            "⚠️ Still overdue: case {number} ({category}, {unit}) is {late} past its deadline {deadline}.",
            late=duration(now - case.due_at),
            **values,
        )
    else:
        handler = directory.handler_name(case)
        line = text(
            "🔔 Escalation, level {level}: case {number} ({category}, {unit}) is {overdue}; "
            "the deadline was {deadline}. Handled by: {handler}.",
            level=action.number,
            overdue=overdue_ref(now - case.due_at),
            handler=handler if handler is not None else msg("not accepted yet"),
            **values,
        )
    return (line, text("Send /case {id} for details.", id=case.id))


#: The kind of an escalation notice's rows: a card (``case_cards`` keeps it showing the case as it is now).
KIND_ESCALATION = "sla_escalation"


#: What a supervisor can do from an escalation notice without typing: the case's details, a deadline extension
#: (延期) by one of these amounts, or a reassignment to another unit (the units are offered next).
ESCALATION_EXTENSIONS = ("4h", "1d")


def notice_choices(case: SweptCase, action: SlaAction) -> tuple[tuple[Choice, ...], ...]:
    """The choices under a notice: an escalation offers open, extend and reassign; the other notices none.

    The tokens grant nothing: the conversation service checks again that whoever picks one supervises the case.
    """
    if action.kind != "escalation":
        return ()
    return (
        (open_choice(case),),
        tuple(
            Choice(
                text("⏳ Extend +{amount}", amount=duration(_amount(amount))),
                _extend_token(case, amount),
            )
            for amount in ESCALATION_EXTENSIONS
        ),
        (Choice(text("↪️ Reassign"), f"case:reassign:{case.id}"),),
    )


def _extend_token(case: SweptCase, amount: str) -> str:
    """``case:extend:<id>:<amount>:<deadline seen>`` (services/conversation/tokens.py): the deadline in whole
    minutes, so that a second press of the same choice, once the deadline has moved, extends nothing."""
    token = f"case:extend:{case.id}:{amount}"
    return f"{token}:{int(case.due_at.timestamp()) // 60}" if case.due_at is not None else token


def open_choice(case: SweptCase | Case) -> Choice:
    """The escalation notice's "Open case" choice, which holds as long as its reader supervises the case."""
    return Choice(text("📂 Open case {number}", number=case.number), f"case:open:{case.id}")


def _amount(amount: str) -> timedelta:
    value = int(amount[:-1])
    return timedelta(hours=value) if amount.endswith("h") else timedelta(days=value)


def overdue_ref(late: timedelta) -> Ref:
    """ "3 h overdue", or "just overdue" at the deadline itself."""
    if late < timedelta(minutes=1):
        return msg("just overdue")
    return Ref("overdue", int(late.total_seconds()))


def render(
    services: Services, case: SweptCase, action: SlaAction, reader: Recipient, directory: Directory, now: datetime
) -> str:
    """The text of ``action`` about ``case`` as ``reader`` sees it."""
    return render_lines(services, notice_lines(case, action, directory, now), Translator(reader.locale))


# Marked for the catalogs: the texts above are looked up at delivery.
_MARKED = (N_("not accepted yet"), N_("just overdue"), N_("{late} overdue"))
