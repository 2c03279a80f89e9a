"""What the conversation service answers: channel-neutral values an adapter renders in the reader's language."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from services.i18n import DEFAULT_LOCALE
from services.messages import Choice, Message, Ref, Text

#: Work to run once the answer is out (keeping a photo's evidence copy); it opens its own unit of work.
Later = Callable[[], Awaitable[None]]
Choices = tuple[tuple[Choice, ...], ...]


def shown(value: Ref) -> Text:
    """A line that is just ``value`` in the reader's words (a category's name on a choice, a time)."""
    return Text("{raw}", {"raw": value})


@dataclass(frozen=True)
class Edit:
    """A change to the message whose choice was picked: new lines (None keeps them) and its choices now."""

    lines: tuple[Text, ...] | None = None
    choices: Choices = ()


@dataclass
class Reply:
    """What to say: an optional ``lead`` before the first message, the messages, and for a picked choice an
    ``alert`` (refused: nothing changed), a ``toast`` (a short acknowledgement) and an ``edit``.

    ``end_location`` takes the channel's location control away (the location question is answered).
    ``album_due_in`` asks the adapter to call ``Conversation.album_due`` after that many seconds.
    """

    lead: tuple[Text, ...] = ()
    messages: list[Message] = field(default_factory=list)
    end_location: bool = False
    alert: Text | None = None
    toast: Text | None = None
    edit: Edit | None = None
    later: list[Later] = field(default_factory=list)
    album_due_in: float | None = None
    locale: str = DEFAULT_LOCALE  # the reader's language, as it is at the end of the turn

    @classmethod
    def say(cls, *lines: Text) -> Reply:
        """One message of ``lines``."""
        return cls(messages=[Message(tuple(lines))])

    @property
    def silent(self) -> bool:
        """Whether there is nothing to show."""
        return not (self.lead or self.messages or self.alert or self.toast or self.edit)
