"""Channel-neutral messages: what the core means, rendered by each channel in the reader's language.

The core never writes a finished sentence for someone else: it writes message ids with values (``Text``), and
values that themselves depend on the reader (a category's name, a time in the city's zone, a duration, a status)
as ``Ref``s. A channel adapter renders a ``Message`` when it delivers it, so a notice queued in the outbox is read in
the language the recipient has at that moment. Choices carry action tokens (``case:accept:17``) that the core
re-authorises when they come back; how they look (buttons, a numbered list) is the adapter's business, and so are
length limits.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from models.status import CaseStatus
from services.i18n import N_, Translator

if TYPE_CHECKING:
    from services.context import Services

STATUS_LABELS = {
    CaseStatus.SUBMITTED: N_("submitted"),
    CaseStatus.UNROUTED: N_("waiting for a dispatcher"),
    CaseStatus.DISPATCHED: N_("dispatched"),
    CaseStatus.ACCEPTED: N_("being handled"),
    CaseStatus.RESOLVED: N_("resolved, waiting for the check"),
    CaseStatus.REWORK: N_("rework"),
    CaseStatus.RETURNED: N_("returned"),
    CaseStatus.SUSPENDED: N_("suspended"),
    CaseStatus.CLOSED: N_("closed"),
    CaseStatus.REJECTED: N_("rejected"),
    CaseStatus.DUPLICATE: N_("duplicate"),
}


@dataclass(frozen=True, slots=True)
class Ref:
    """A value looked up in the reader's language when the message is rendered."""

    kind: str  # msg, category, status, time, duration, overdue
    value: str | int | float


def msg(message_id: str) -> Ref:
    """A message id translated for the reader (e.g. "not accepted yet")."""
    return Ref("msg", message_id)


def category(code: str) -> Ref:
    """A category's name in the reader's language."""
    return Ref("category", code)


def status(value: str) -> Ref:
    """A case status in the reader's words."""
    return Ref("status", str(value))


def when(moment: datetime | None) -> Ref:
    """A stored UTC time shown in the city's time zone ("—" when unknown)."""
    return Ref("time", -1 if moment is None else moment.timestamp())


def duration(delta: timedelta) -> Ref:
    """A duration such as "2 d 3 h" in the reader's language."""
    return Ref("duration", int(delta.total_seconds()))


@dataclass(frozen=True, slots=True)
class Text:
    """One line: a message id and its values (plain values or ``Ref``s)."""

    msgid: str
    values: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def raw(cls, text: str) -> Text:
        """Text that is already final (user-written content, a rendered report): shown as it is."""
        return cls("{raw}", {"raw": text})


def text(msgid: str, **values: Any) -> Text:
    """Shorthand for ``Text(msgid, values)``."""
    return Text(msgid, values)


@dataclass(frozen=True, slots=True)
class Choice:
    """Something the reader can pick; ``action`` is the token the core receives back."""

    label: Text
    action: str


@dataclass(frozen=True, slots=True)
class PhotoRef:
    """A picture by the project's own reference: a stored photo row, or a local file (the weekly chart)."""

    photo_id: int | None = None
    path: str | None = None


@dataclass(frozen=True)
class Message:
    """What to say: lines, photos (the lines are their caption), a map pin, choices, a request for a location."""

    lines: tuple[Text, ...] = ()
    choices: tuple[tuple[Choice, ...], ...] = ()
    photos: tuple[PhotoRef, ...] = ()
    location: tuple[float, float] | None = None
    #: Offer the channel's "share my location" control, where it has one.
    ask_location: bool = False
    #: The question a location control answered is over: take the control away.
    end_location: bool = False

    def with_lead(self, lead: Iterable[Text]) -> Message:
        """The same message with ``lead`` lines and an empty line in front."""
        lead = tuple(lead)
        if not lead:
            return self
        spacer = (Text.raw(""),) if self.lines else ()
        return Message(
            lead + spacer + self.lines, self.choices, self.photos, self.location, self.ask_location, self.end_location
        )

    def choice_tokens(self) -> list[str]:
        """Every action token offered, in reading order."""
        return [choice.action for row in self.choices for choice in row]


def lines(*items: Text | str) -> tuple[Text, ...]:
    """Lines from ``Text``s and plain message ids."""
    return tuple(item if isinstance(item, Text) else Text(item) for item in items)


# ---------------------------------------------------------------- rendering
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


def resolve(services: Services, ref: Ref, t: Translator) -> str:
    """The text of one ``Ref`` for the reader of ``t``."""
    if ref.kind == "msg":
        return t(str(ref.value))
    if ref.kind == "category":
        found = services.config.category(str(ref.value))
        return found.label(t.locale) if found is not None else str(ref.value)
    if ref.kind == "status":
        try:
            return t(STATUS_LABELS[CaseStatus(str(ref.value))])
        except ValueError:
            return str(ref.value)
    if ref.kind == "time":
        if float(ref.value) < 0:
            return "—"
        moment = datetime.fromtimestamp(float(ref.value), UTC)
        return moment.astimezone(services.tz).strftime("%Y-%m-%d %H:%M")
    if ref.kind == "duration":
        return format_duration(t, timedelta(seconds=float(ref.value)))
    if ref.kind == "overdue":
        return t("{late} overdue", late=format_duration(t, timedelta(seconds=float(ref.value))))
    return str(ref.value)


def render_line(services: Services, line: Text, t: Translator) -> str:
    """One line in the reader's language."""
    values = {k: resolve(services, v, t) if isinstance(v, Ref) else v for k, v in line.values.items()}
    if line.msgid == "{raw}":
        return str(values.get("raw", ""))
    return t(line.msgid, **values)


def render_lines(services: Services, items: Iterable[Text], t: Translator) -> str:
    """Lines joined by newlines, each in the reader's language."""
    return "\n".join(render_line(services, line, t) for line in items)


# ---------------------------------------------------------------- storage (the outbox keeps messages as JSON)
#: One encoder for every message: ``json.dumps`` with options builds a new one per call (the SLA sweep writes
#: thousands of notices at once).
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def _value_json(value: Any) -> Any:
    if type(value) is Ref:
        return {"$": value.kind, "v": value.value}
    return value


def _value_from(value: Any) -> Any:
    if isinstance(value, dict) and "$" in value:
        return Ref(value["$"], value["v"])
    return value


def _text_json(line: Text) -> Any:
    values = line.values
    if not values:
        return [line.msgid]
    if line.msgid == "{raw}":
        return values.get("raw", "")
    return [line.msgid, {k: {"$": v.kind, "v": v.value} if type(v) is Ref else v for k, v in values.items()}]


def _text_from(data: Any) -> Text:
    if isinstance(data, str):
        return Text.raw(data)
    values = {k: _value_from(v) for k, v in (data[1] if len(data) > 1 else {}).items()}
    return Text(data[0], values)


def to_json(message: Message) -> str:
    """The message as compact JSON for the outbox."""
    data: dict[str, Any] = {}
    if message.lines:
        data["lines"] = [_text_json(line) for line in message.lines]
    if message.choices:
        data["choices"] = [[[_text_json(c.label), c.action] for c in row] for row in message.choices]
    if message.photos:
        data["photos"] = [{"id": p.photo_id} if p.photo_id is not None else {"path": p.path} for p in message.photos]
    if message.location is not None:
        data["location"] = list(message.location)
    if message.ask_location:
        data["ask_location"] = True
    if message.end_location:
        data["end_location"] = True
    return _ENCODER.encode(data)


def from_json(payload: str) -> Message:
    """A message stored by ``to_json``."""
    data = json.loads(payload)
    location = data.get("location")
    return Message(
        lines=tuple(_text_from(line) for line in data.get("lines", ())),
        choices=tuple(
            tuple(Choice(_text_from(label), action) for label, action in row) for row in data.get("choices", ())
        ),
        photos=tuple(PhotoRef(p.get("id"), p.get("path")) for p in data.get("photos", ())),
        location=(float(location[0]), float(location[1])) if location else None,
        ask_location=bool(data.get("ask_location")),
        end_location=bool(data.get("end_location")),
    )
