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
from functools import lru_cache
from json.encoder import encode_basestring
from typing import Any

from models.cases import Case
from models.outbox import DeliveryStatus
from services.context import Services
from services.deadlines import SlaAction
from services.i18n import Translator
from services.notify import category_label, local_time
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
    """Outbox rows for one notice, one per reachable recipient."""
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
    kind = f"sla_{action.kind}"
    rows = []
    params: dict[str, str] = {}  # the text depends only on the reader's language
    for person in recipients:
        if not person.reachable:
            continue
        text = params.get(person.locale)
        if text is None:
            text = params[person.locale] = _params_json(render(services, case, action, person, directory, now))
        row = {
            "chat_id": person.telegram_id,
            "user_id": person.id,
            "kind": kind,
            "method": "sendMessage",
            "params": text,
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


def _params_json(text: str) -> str:
    """``json.dumps({"text": text}, ensure_ascii=False)``, character for character, at a sixth of its cost."""
    return '{"text": ' + encode_basestring(text) + "}"


def _memo(services: Services) -> dict[Any, str]:
    """Category labels and local deadlines already written, kept while the configuration and time zone stay."""
    kept = services.extras.get("sla_texts")
    if kept is None or kept[0] is not services.config or kept[1] is not services.tz or len(kept[2]) > 20_000:
        kept = services.extras["sla_texts"] = (services.config, services.tz, {})
    memo: dict[Any, str] = kept[2]
    return memo


class _Templates(Translator):
    """A translator that looks each message up once: a sweep renders the same dozen messages thousands of times."""

    def __init__(self, locale: str) -> None:
        super().__init__(locale)
        self._seen: dict[str, str] = {}

    def __call__(self, message: str, **values: object) -> str:
        """Translate ``message`` (from memory after the first time) and fill its placeholders."""
        template = self._seen.get(message)
        if template is None:
            template = self._seen[message] = super().__call__(message)
        return template.format(**values) if values else template


@lru_cache(maxsize=8)
def translator(locale: str) -> Translator:
    """The remembering translator of ``locale`` (catalogs do not change while the process runs)."""
    return _Templates(locale)


def format_duration(t: Translator, delta: timedelta) -> str:
    """A short duration in the reader's language, two units at most: "2 d 3 h", "45 min", "2天3小时"."""
    minutes = int(delta.total_seconds() // 60)
    if minutes < 1:
        return t("under a minute")
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    parts = []
    if days:
        parts.append(t("{n} d", n=days))
    if hours and len(parts) < 2:
        parts.append(t("{n} h", n=hours))
    if minutes and not days:
        parts.append(t("{n} min", n=minutes))
    return ("" if t.is_zh else " ").join(parts)


def overdue_by(t: Translator, late: timedelta) -> str:
    """ "3 h overdue", or "just overdue" at the deadline itself."""
    if late < timedelta(minutes=1):
        return t("just overdue")
    return t("{late} overdue", late=format_duration(t, late))


def render(
    services: Services,
    case: SweptCase,
    action: SlaAction,
    reader: Recipient,
    directory: Directory,
    now: datetime,
) -> str:
    """The text of ``action`` about ``case`` for ``reader``, in the reader's language and the city's time."""
    t = translator(reader.locale)
    assert case.due_at is not None
    # A batch names the same few categories and each deadline in every notice and language: look them up once.
    memo = _memo(services)
    label = memo.get((case.category, t.locale))
    if label is None:
        label = memo[(case.category, t.locale)] = category_label(services, case.category, t)
    deadline = memo.get(case.due_at)
    if deadline is None:
        deadline = memo[case.due_at] = local_time(services, case.due_at)
    values = {"number": case.number, "category": label, "unit": directory.unit_name(case), "deadline": deadline}
    if action.kind == "escalated":
        text = t(
            "🔔 Your report {number} ({category}, {unit}) was not handled by its deadline, {deadline}: it has been "
            "escalated to the supervisors (督办). We will tell you when it is handled.",
            **values,
        )
        return text + "\n" + t("Send /my to see your reports.")
    if action.kind == "reminder":
        left = format_duration(t, case.due_at - now)
        text = t(
            "⏰ Reminder: case {number} ({category}, {unit}) is due at {deadline}, in {left}.",
            left=left,
            **values,
        )
    elif action.kind == "overdue":
        text = t(
            "⚠️ Case {number} ({category}, {unit}) is overdue: the deadline was {deadline}. "
            "Please handle it now, or ask your supervisor for an extension.",
            **values,
        )
    elif action.kind == "chase":
        late = format_duration(t, now - case.due_at)
        text = t(
            "⚠️ Still overdue: case {number} ({category}, {unit}) is {late} past its deadline {deadline}.",
            late=late,
            **values,
        )
    else:
        handler = directory.handler_name(case) or t("not accepted yet")
        text = t(
            "🔔 Escalation, level {level}: case {number} ({category}, {unit}) is {overdue}; "
            "the deadline was {deadline}. Handled by: {handler}.",
            level=action.number,
            overdue=overdue_by(t, now - case.due_at),
            handler=handler,
            **values,
        )
    return text + "\n" + t("Send /case {id} for details.", id=case.id)
