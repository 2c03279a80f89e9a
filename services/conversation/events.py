"""What a person did, as the conversation service hears it from any channel: plain values, no channel types.

An adapter turns its channel's update into one of these events and a ``Sender``: a command with its words, typed
text, a photo or a file (with a callable that fetches its bytes), a location already in WGS-84, a choice picked
(the action token the core offered), something the flow cannot use, or an edit of an earlier message.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from services.users import Identity

#: Fetches the bytes of the file an event describes; None when the channel would not hand them over.
Fetch = Callable[[], Awaitable[bytes | None]]


@dataclass(frozen=True)
class Sender:
    """Who wrote, and in which conversation: their own with the bot (``private``), or a group's."""

    identity: Identity
    #: The conversation's id on the sender's channel (a weekly report subscribed there goes to it).
    place: int | str
    private: bool = True
    #: In a group: whether the person administers it (the channel asks for commands and choices only).
    group_admin: bool = False


@dataclass(frozen=True)
class Command:
    """``/name args...``: ``name`` in lower case without the slash; ``typed`` is the first word as written."""

    name: str
    args: tuple[str, ...] = ()
    typed: str = ""


@dataclass(frozen=True)
class Typed:
    """A text message."""

    text: str


@dataclass(frozen=True)
class ChannelFile:
    """A file as the channel describes it (its ids and what it claims to be)."""

    file_id: str
    unique_id: str = ""
    mime_type: str | None = None
    size: int | None = None
    width: int | None = None
    height: int | None = None


@dataclass(frozen=True)
class Photo:
    """A photo, or a file (which may be no image at all); ``as_file`` keeps its EXIF, so its bytes are read first."""

    file: ChannelFile
    fetch: Fetch
    as_file: bool = False
    album: str | None = None  # photos sent together share it; they arrive one by one, with no count and no end
    caption: str | None = None


@dataclass(frozen=True)
class Location:
    """A point in WGS-84: shared, a venue (``address`` is its name and address), or the first point of a live one."""

    lat: float
    lon: float
    address: str | None = None
    source: str = "location"  # location, venue, live


@dataclass(frozen=True)
class Picked:
    """A choice the person picked: the action token the core offered (or a forged one)."""

    token: str


@dataclass(frozen=True)
class Unsupported:
    """A sticker, voice message, video or anything else the report flow cannot use."""

    kind: str = ""


@dataclass(frozen=True)
class Edited:
    """A message the person changed after sending it."""

    event: Event


Event = Command | Typed | Photo | Location | Picked | Unsupported | Edited
