"""The channel port: what an adapter implements so the outbox can deliver on its channel.

A channel adapter (``channels/<name>/``) implements ``ChannelSender`` and registers it with the composition root;
the outbox sender (``services.delivery``) hands it one ``Outgoing`` row at a time, rendered nowhere yet: the adapter
renders the channel-neutral ``Message`` in ``Outgoing.locale`` within its own limits, sends it, and answers with the
ids the channel gave the delivered messages, or raises one of the ``DeliveryError``s below.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from services.messages import Message


@dataclass(frozen=True)
class Outgoing:
    """One outbox row as its channel's sender sees it."""

    row_id: int
    address: str
    message: Message
    locale: str
    kind: str
    #: For a replacement (edit): the ids delivered for the replaced row.
    replaces: list[str] | None = None
    #: The case the notice is about, if any (a channel that reports case state rather than text reads it).
    case_id: int | None = None


@runtime_checkable
class ChannelSender(Protocol):
    """Delivers messages on one channel; returns the delivered message ids; raises a ``DeliveryError``."""

    channel: str

    async def deliver(self, item: Outgoing) -> list[str]: ...

    def interval(self, address: str) -> float:
        """The least time between two messages to ``address`` (the channel's flood limit)."""
        ...


class DeliveryError(Exception):
    """A call did not deliver."""


class RetryLater(DeliveryError):
    """Flood control: try again after ``seconds``."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"flood control: retry after {seconds:g}s")
        self.seconds = seconds


class RecipientBlocked(DeliveryError):
    """The recipient blocked the bot (or the bot left the chat, or the user unsubscribed)."""


class AwaitingContact(DeliveryError):
    """The channel reaches the person only after they write again (WeChat's 48-hour window): hold the row.

    The row stays pending (nothing is lost, nothing sent twice) until the adapter calls
    ``services.delivery.resume_held`` when the person writes again.
    """


class Rejected(DeliveryError):
    """The request itself is wrong; retrying cannot help."""


class TransientError(DeliveryError):
    """Server errors, timeouts, network trouble: worth retrying later."""


class ChannelRegistry:
    """The senders of the channels this process delivers to, registered by the composition root."""

    def __init__(self, senders: Iterable[ChannelSender] = ()) -> None:
        self._senders: dict[str, ChannelSender] = {}
        for sender in senders:
            self.register(sender)

    def register(self, sender: ChannelSender) -> None:
        """Deliver ``sender.channel``'s rows through ``sender`` (replacing an earlier one)."""
        self._senders[sender.channel] = sender

    def get(self, channel: str) -> ChannelSender | None:
        """The sender of ``channel``, if this process has one."""
        return self._senders.get(channel)

    @property
    def names(self) -> list[str]:
        """The channels this process can deliver to."""
        return sorted(self._senders)
