"""What a person can do in the sandbox: write, send photos, share places, press buttons."""

from __future__ import annotations

import io
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PIL import Image

from sandbox.errors import JSON, ApiError, bad_request
from sandbox.markup import command_entities
from sandbox.params import Upload
from sandbox.state import BotAccount, Conversation, SandboxState, UserAccount


@dataclass
class Actor:
    """A user acting in one conversation with one bot."""

    state: SandboxState
    bot: BotAccount
    user: UserAccount
    conv: Conversation

    def post(self, content: JSON, reply_to: int | None = None) -> JSON:
        """Send a message as the user; the bot gets it as a `message` update."""
        data: JSON = {
            "message_id": self.conv.next_message_id(),
            "from": self.user.to_json(),
            "date": self.state.now(),
            "chat": self.conv.chat,
            **content,
        }
        quoted = self.conv.find(reply_to) if reply_to else None
        if quoted is not None:
            data["reply_to_message"] = quoted.data
        event_id = self.state.record(self.conv, data, from_bot=False)
        update_id = self.bot.updates.push("message", data)
        return {"message": data, "event_id": event_id, "update_id": update_id}


def make_actor(state: SandboxState, user_id: int, bot: str | int | None, chat_id: int | None) -> Actor:
    """The actor for a user, talking privately to the bot unless a group chat_id is given."""
    user = state.user(user_id)
    chat = state.resolve_chat(chat_id) if chat_id is not None else user.chat_json()
    picked = state.pick_bot(bot)
    return Actor(state, picked, user, state.conversation(picked, chat))


Fields = dict[str, Any]


def send_text(actor: Actor, fields: Fields, files: list[Upload]) -> JSON:
    """Text; a leading /command gets its bot_command entity as a real client adds it."""
    text = str(fields.get("text") or "")
    if not text:
        raise bad_request("message text is empty")
    content: JSON = {"text": text}
    if entities := command_entities(text):
        content["entities"] = entities
    return actor.post(content, _int(fields.get("reply_to")))


def send_photo(actor: Actor, fields: Fields, files: list[Upload]) -> JSON:
    """One compressed photo (EXIF removed, as Telegram does)."""
    if len(files) != 1:
        raise bad_request("send exactly one photo file")
    content = {"photo": actor.state.files.add_photo(files[0].data), **_caption(fields)}
    return actor.post(content, _int(fields.get("reply_to")))


def send_album(actor: Actor, fields: Fields, files: list[Upload]) -> list[JSON]:
    """2-10 photos arriving as separate messages that share a media_group_id."""
    if not 2 <= len(files) <= 10:
        raise bad_request("an album holds 2 to 10 photos")
    group_id = uuid.uuid4().hex[:16]
    sizes = [actor.state.files.add_photo(upload.data) for upload in files]
    return [
        actor.post({"photo": photo, "media_group_id": group_id, **(_caption(fields) if i == 0 else {})})
        for i, photo in enumerate(sizes)
    ]


def send_document(actor: Actor, fields: Fields, files: list[Upload]) -> JSON:
    """A file sent "as file": bytes kept exactly, so a photo's EXIF survives."""
    if len(files) != 1:
        raise bad_request("send exactly one document file")
    upload = files[0]
    stored = actor.state.files.add(
        upload.data,
        "documents",
        file_name=fields.get("file_name") or upload.filename,
        mime_type=fields.get("mime_type") or upload.content_type,
    )
    return actor.post({"document": stored.document_json(), **_caption(fields)})


def send_location(actor: Actor, fields: Fields, files: list[Upload]) -> JSON:
    """A location pin, live when live_period is given."""
    return actor.post({"location": _location(fields)})


def move_live_location(actor: Actor, fields: Fields, files: list[Upload]) -> JSON:
    """A new position for a live location; the bot gets an `edited_message` update."""
    record = actor.conv.find(_int(fields.get("message_id")) or 0)
    if record is None or record.from_bot or "live_period" not in record.data.get("location", {}):
        raise bad_request("message is not a live location of this user")
    location = {**record.data["location"], **_location(fields)}
    record.data = {**record.data, "location": location, "edit_date": actor.state.now()}
    event_id = actor.state.announce(actor.conv, "edit", record)
    update_id = actor.bot.updates.push("edited_message", record.data)
    return {"message": record.data, "event_id": event_id, "update_id": update_id}


def edit_text(actor: Actor, fields: Fields, files: list[Upload]) -> JSON:
    """The user edits one of their text messages; the bot gets an `edited_message` update."""
    record = actor.conv.find(_int(fields.get("message_id")) or 0)
    if record is None or record.from_bot or "text" not in record.data:
        raise bad_request("message is not a text of this user")
    text = str(fields.get("text") or "")
    if not text:
        raise bad_request("message text is empty")
    data = {k: v for k, v in record.data.items() if k != "entities"}
    data.update(text=text, edit_date=actor.state.now())
    if entities := command_entities(text):
        data["entities"] = entities
    record.data = data
    event_id = actor.state.announce(actor.conv, "edit", record)
    update_id = actor.bot.updates.push("edited_message", record.data)
    return {"message": record.data, "event_id": event_id, "update_id": update_id}


def send_venue(actor: Actor, fields: Fields, files: list[Upload]) -> JSON:
    """A named place picked from the map."""
    location = _location(fields)
    venue = {
        "location": location,
        "title": str(fields.get("title") or "Place"),
        "address": str(fields.get("address") or ""),
    }
    return actor.post({"venue": venue, "location": location})


def send_sticker(actor: Actor, fields: Fields, files: list[Upload]) -> JSON:
    """A stub sticker, for testing how the bot treats unexpected content."""
    stored = actor.state.files.add(_png(64), "stickers", mime_type="image/webp", width=512, height=512)
    sticker = {
        **stored.photo_size_json(),
        "width": 512,
        "height": 512,
        "is_animated": False,
        "is_video": False,
        "type": "regular",
        "emoji": str(fields.get("emoji") or "👍"),
    }
    return actor.post({"sticker": sticker})


def send_voice(actor: Actor, fields: Fields, files: list[Upload]) -> JSON:
    """A stub voice note."""
    stored = actor.state.files.add(b"OggS" + bytes(64), "voice", mime_type="audio/ogg")
    return actor.post({"voice": {**stored.document_json(), "duration": _int(fields.get("duration")) or 2}})


def send_video(actor: Actor, fields: Fields, files: list[Upload]) -> JSON:
    """A stub video."""
    stored = actor.state.files.add(bytes(128), "videos", mime_type="video/mp4", file_name="video.mp4")
    video = {**stored.document_json(), "width": 640, "height": 360, "duration": 3}
    return actor.post({"video": video, **_caption(fields)})


def send_contact(actor: Actor, fields: Fields, files: list[Upload]) -> JSON:
    """The user's own phone number, as a "share contact" button sends it."""
    contact = {
        "phone_number": str(fields.get("phone_number") or "+10000000000"),
        "first_name": actor.user.first_name,
        "user_id": actor.user.id,
    }
    return actor.post({"contact": contact})


def press_button(actor: Actor, fields: Fields, files: list[Upload]) -> JSON:
    """Press an inline button (by callback_data or label); the bot gets a `callback_query` update."""
    record = actor.conv.find(_int(fields.get("message_id")) or 0)
    if record is None:
        raise bad_request("message to press a button on not found")
    wanted = str(fields.get("button"))
    if _truthy(fields.get("forge")):
        # A modified client can send any callback_data for any message; the bot must refuse it itself.
        button = {"text": "", "callback_data": wanted}
    else:
        button = find_button(record.data.get("reply_markup", {}).get("inline_keyboard", []), wanted)
    if "callback_data" not in button:
        raise bad_request(f"button {button['text']!r} does not send a callback")
    query_id = uuid.uuid4().hex
    actor.state.callbacks[query_id] = {
        "id": query_id,
        "bot_id": actor.bot.id,
        "user_id": actor.user.id,
        "chat_id": actor.conv.chat["id"],
        "message_id": record.data["message_id"],
        "data": button["callback_data"],
        "answered": False,
        "text": None,
        "show_alert": False,
        "url": None,
    }
    query = {
        "id": query_id,
        "from": actor.user.to_json(),
        "message": record.data,
        "data": button["callback_data"],
        "chat_instance": actor.state.chat_instance(actor.bot, actor.conv.chat["id"]),
    }
    event_id = actor.state.events.emit(
        "callback_query", bot_id=actor.bot.id, chat_id=actor.conv.chat["id"], query=query
    )
    update_id = actor.bot.updates.push("callback_query", query)
    return {"callback_query_id": query_id, "event_id": event_id, "update_id": update_id}


def find_button(rows: list[list[JSON]], wanted: str) -> JSON:
    """The button whose callback_data or label equals `wanted`, else the one label containing it."""
    buttons = [button for row in rows for button in row]
    for key in ("callback_data", "text"):
        exact = [button for button in buttons if button.get(key) == wanted]
        if exact:
            return exact[0]
    partial = [button for button in buttons if wanted.casefold() in str(button.get("text", "")).casefold()]
    if len(partial) == 1:
        return partial[0]
    labels = [button.get("text") for button in buttons]
    raise ApiError(404, f"no button {wanted!r} on this message; buttons: {labels}")


ACTIONS: dict[str, Callable[[Actor, Fields, list[Upload]], Any]] = {
    "text": send_text,
    "photo": send_photo,
    "album": send_album,
    "document": send_document,
    "location": send_location,
    "live_location": move_live_location,
    "edit_text": edit_text,
    "venue": send_venue,
    "sticker": send_sticker,
    "voice": send_voice,
    "video": send_video,
    "contact": send_contact,
    "press": press_button,
}


def _caption(fields: Fields) -> JSON:
    return {"caption": str(fields["caption"])} if fields.get("caption") else {}


def _truthy(value: Any) -> bool:
    return str(value).lower() in ("true", "1", "yes")


def _int(value: Any) -> int | None:
    return None if value in (None, "") else int(value)


def _location(fields: Fields) -> JSON:
    try:
        location: JSON = {"latitude": float(fields["latitude"]), "longitude": float(fields["longitude"])}
    except (KeyError, TypeError, ValueError):
        raise bad_request("latitude and longitude are required") from None
    if fields.get("live_period"):
        location["live_period"] = int(fields["live_period"])
    if fields.get("horizontal_accuracy"):
        location["horizontal_accuracy"] = float(fields["horizontal_accuracy"])
    return location


def _png(side: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (side, side), (250, 200, 40)).save(out, format="PNG")
    return out.getvalue()
