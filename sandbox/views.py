"""Small typed views of sandbox JSON for tests: users, messages as a person sees them, buttons, answers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

JSON = dict[str, Any]


@dataclass(frozen=True)
class SandboxUser:
    """A person in the sandbox; their private chat with a bot has the same id."""

    id: int
    first_name: str
    username: str | None = None
    language_code: str | None = None

    @property
    def chat_id(self) -> int:
        """The id of this user's private chat."""
        return self.id


@dataclass(frozen=True)
class Button:
    """One inline or reply-keyboard button."""

    text: str
    callback_data: str | None = None
    url: str | None = None
    request_location: bool = False
    request_contact: bool = False

    @classmethod
    def from_json(cls, data: JSON) -> Button:
        """Build from a Bot API button object."""
        return cls(
            text=data.get("text", ""),
            callback_data=data.get("callback_data"),
            url=data.get("url"),
            request_location=bool(data.get("request_location")),
            request_contact=bool(data.get("request_contact")),
        )


def keyboard_rows(markup: JSON | None, key: str) -> list[list[Button]]:
    """The button rows under `key` ("inline_keyboard" or "keyboard") of a reply_markup."""
    rows = (markup or {}).get(key) or []
    return [[Button.from_json(button) for button in row] for row in rows]


@dataclass
class ChatMessage:
    """A message as the chat shows it now: its text or caption, buttons, media and whether it is gone."""

    message_id: int
    chat_id: int
    from_bot: bool
    text: str
    buttons: list[list[Button]]
    raw: JSON
    deleted: bool = False
    reply_keyboard: list[list[Button]] = field(default_factory=list)

    @classmethod
    def from_entry(cls, entry: JSON) -> ChatMessage:
        """Build from a transcript entry or a message event."""
        message = entry["message"]
        return cls(
            message_id=message["message_id"],
            chat_id=message["chat"]["id"],
            from_bot=bool(entry.get("from_bot")),
            text=message.get("text") or message.get("caption") or "",
            buttons=keyboard_rows(message.get("reply_markup"), "inline_keyboard"),
            raw=message,
            deleted=bool(entry.get("deleted")),
            reply_keyboard=keyboard_rows(entry.get("reply_keyboard"), "keyboard"),
        )

    @property
    def button_texts(self) -> list[str]:
        """Labels of the inline buttons, row by row."""
        return [button.text for row in self.buttons for button in row]

    @property
    def edited(self) -> bool:
        """Whether the message was edited after it was sent."""
        return "edit_date" in self.raw

    @property
    def file_id(self) -> str | None:
        """The largest photo's or the document's file id."""
        if self.raw.get("photo"):
            return str(self.raw["photo"][-1]["file_id"])
        document = self.raw.get("document")
        return str(document["file_id"]) if document else None

    @property
    def location(self) -> tuple[float, float] | None:
        """(latitude, longitude) of a location or venue message."""
        location = self.raw.get("location")
        return (location["latitude"], location["longitude"]) if location else None

    @property
    def media_group_id(self) -> str | None:
        """The album this message belongs to."""
        return self.raw.get("media_group_id")

    def button(self, wanted: str) -> Button:
        """The inline button with this label or callback data (or the only label containing it)."""
        buttons = [button for row in self.buttons for button in row]
        exact = [b for b in buttons if wanted in (b.text, b.callback_data)]
        partial = [b for b in buttons if wanted.casefold() in b.text.casefold()]
        if exact or len(partial) == 1:
            return (exact or partial)[0]
        raise LookupError(f"no button {wanted!r} in message {self.message_id}; buttons: {self.button_texts}")


@dataclass(frozen=True)
class CallbackAnswer:
    """A button press and the answer the bot gave to it (the toast or alert the user saw)."""

    query_id: str
    user_id: int
    message_id: int
    data: str
    answered: bool
    text: str | None
    show_alert: bool
    url: str | None

    @classmethod
    def from_json(cls, data: JSON) -> CallbackAnswer:
        """Build from the control API's callback record."""
        return cls(
            query_id=data["id"],
            user_id=data["user_id"],
            message_id=data["message_id"],
            data=data["data"],
            answered=data["answered"],
            text=data.get("text"),
            show_alert=bool(data.get("show_alert")),
            url=data.get("url"),
        )
