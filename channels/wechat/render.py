"""The core's messages as WeChat texts: lines in the reader's language, choices as a numbered list.

Official Accounts have no buttons, so every choice becomes a ``n. label`` line (and, where the account may send
them, a ``msgmenu``). The items of the last list a person was shown are kept through ``services.offered`` so their
answer means the same in every process. A location question gets WeChat's own way of sharing a place as a hint;
a map pin becomes its coordinates.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from channels.wechat.numbered import NumberedChoice, render_msgmenu, render_numbered
from services.context import Services
from services.conversation import Reply
from services.conversation.replies import Choices
from services.conversation.turn import STALE
from services.i18n import LOCALES, N_, Translator
from services.messages import Message, PhotoRef, Text, render_line, render_lines
from services.offered import OfferedItem

LOCATION_HINT = N_("In WeChat: tap ＋ and then Location (位置) to send a place, or type the address.")
#: WeChat has no buttons: a refused pick is told as a choice that no longer holds.
STALE_CHOICE = N_("That choice is no longer valid.")


@dataclass
class Rendered:
    """A message (or a reply) as WeChat texts, its numbered items, and the pictures it shows."""

    texts: list[str] = field(default_factory=list)
    #: The choices of the last list shown (None: it showed no list).
    items: list[NumberedChoice] | None = None
    #: Whether a text that picks no item may still mean something (an address, a note).
    open: bool = False
    photos: tuple[PhotoRef, ...] = ()
    #: A ``msgmenu`` for the list, when the account sends them and WeChat's limits allow one.
    menu: dict[str, Any] | None = None

    def offered(self) -> list[OfferedItem]:
        """The items as the offered-choices store keeps them."""
        return [OfferedItem(c.label, c.action, c.aliases) for c in self.items or []]


def numbered_items(services: Services, choices: Choices, t: Translator) -> list[NumberedChoice]:
    """Every choice, row after row, with its label in the reader's language and the other one as an alias."""
    others = [Translator(locale) for locale in LOCALES if locale != t.locale]
    items = []
    for row in choices:
        for choice in row:
            label = render_line(services, choice.label, t)
            aliases = tuple(alias for other in others if (alias := render_line(services, choice.label, other)) != label)
            items.append(NumberedChoice(label, choice.action, aliases))
    return items


def render_message(services: Services, message: Message, t: Translator, *, msgmenu: bool = False) -> Rendered:
    """One message: its text (the numbered list below it) and pictures."""
    rendered = Rendered(photos=message.photos)
    body = render_lines(services, message.lines, t)
    if message.location is not None:
        lat, lon = message.location
        body = "\n".join(part for part in (body, f"📍 {lat:.5f}, {lon:.5f}") if part)
    if message.ask_location:
        body = "\n".join(part for part in (body, t(LOCATION_HINT)) if part)
    if message.choices:
        items = numbered_items(services, message.choices, t)
        rendered.items = items
        rendered.open = message.ask_location or len(items) == 1
        if msgmenu:
            rendered.menu = render_msgmenu(items)
        body = render_numbered(items, t, head=body)
    if body.strip():
        rendered.texts.append(body)
    return rendered


def render_reply(services: Services, reply: Reply, *, msgmenu: bool = False) -> Rendered:
    """A conversation reply: an alert alone, or the toast, the edited message and the messages, lead first."""
    t = Translator(reply.locale)
    if reply.alert is not None:
        alert = Text(STALE_CHOICE) if reply.alert.msgid == STALE else reply.alert
        return Rendered(texts=[render_line(services, alert, t)])
    out = Rendered()
    lead: tuple[Text, ...] = tuple(reply.lead)
    if reply.toast is not None:
        lead = (reply.toast, *lead)
    parts: list[Message] = []
    if reply.edit is not None and (reply.edit.lines is not None or reply.edit.choices):
        parts.append(Message(tuple(reply.edit.lines or ()), reply.edit.choices))
    parts += reply.messages
    if lead:
        if parts:
            parts[0] = parts[0].with_lead(lead)
        else:
            parts.append(Message(lead))
    _gather(out, [render_message(services, message, t, msgmenu=msgmenu) for message in parts])
    return out


def _gather(out: Rendered, pieces: Sequence[Rendered]) -> None:
    for piece in pieces:
        out.texts += piece.texts
        if piece.items is not None:
            out.items, out.open, out.menu = piece.items, piece.open, piece.menu
        elif piece.texts and out.items is not None:
            out.open = True  # a question after the list: the list stays, but text may answer the question
