"""Bot API methods that put new messages into a chat."""

from __future__ import annotations

import mimetypes
import uuid
from typing import Any

from sandbox.call import MAX_CAPTION, MAX_TEXT, Call, Method
from sandbox.errors import JSON, bad_request
from sandbox.files import check_photo_upload
from sandbox.markup import parse_formatted, utf16_len, with_detected_commands
from sandbox.params import Upload, input_file, resolve_media_reference


async def send_message(call: Call) -> JSON:
    """sendMessage: text with optional parse_mode, entities and keyboards."""
    conv = call.chat(sending=True)
    text, entities = call.formatted("text", "entities", MAX_TEXT, "message is too long")
    if not text.strip():
        raise bad_request("message text is empty")
    data = call.new_message(conv)
    data["text"] = text
    if entities:
        data["entities"] = entities
    return call.deliver(conv, data)


async def send_photo(call: Call) -> JSON:
    """sendPhoto: an uploaded image or an existing photo file_id."""
    conv = call.chat(sending=True)
    upload, file_id = input_file(call.params, "photo")
    if upload:
        check_photo_upload(upload.data)
    sizes = call.state.files.add_photo(upload.data) if upload else call.state.files.photo_sizes(str(file_id))
    data = call.new_message(conv)
    data["photo"] = sizes
    return call.deliver(conv, call.add_caption(data))


async def send_document(call: Call) -> JSON:
    """sendDocument: any file, bytes kept exactly as uploaded."""
    conv = call.chat(sending=True)
    upload, file_id = input_file(call.params, "document")
    data = call.new_message(conv)
    data["document"] = _document(call, upload, file_id)
    return call.deliver(conv, call.add_caption(data))


async def send_media_group(call: Call) -> list[JSON]:
    """sendMediaGroup: 2-10 photos or documents that arrive as an album sharing media_group_id."""
    conv = call.chat(sending=True)
    media = call.params.parsed("media")
    if not isinstance(media, list) or not 2 <= len(media) <= 10:
        raise bad_request("wrong number of media in the group: must be between 2 and 10")
    kinds = {item.get("type") for item in media}
    if not kinds <= {"photo", "document"} or len(kinds) > 1:
        raise bad_request("photos and documents can't be mixed in one album, and only they are supported")
    contents = [_album_item(call, item) for item in media]  # validate everything before storing anything
    group_id = uuid.uuid4().hex[:16]
    sent = []
    for content in contents:
        data = call.new_message(conv)
        data.update(content, media_group_id=group_id)
        sent.append(call.deliver(conv, data))
    return sent


async def send_location(call: Call) -> JSON:
    """sendLocation: a point, optionally live for live_period seconds."""
    conv = call.chat(sending=True)
    data = call.new_message(conv)
    data["location"] = _location(call)
    return call.deliver(conv, data)


async def send_venue(call: Call) -> JSON:
    """sendVenue: a named place with an address."""
    conv = call.chat(sending=True)
    location = _location(call)
    venue: JSON = {
        "location": location,
        "title": call.params.require("title"),
        "address": call.params.require("address"),
    }
    data = call.new_message(conv)
    data.update(venue=venue, location=location)
    return call.deliver(conv, data)


async def copy_message(call: Call) -> JSON:
    """copyMessage: resend another chat's message content without a link to the original."""
    conv = call.chat(sending=True)
    source_chat = call.state.resolve_chat(call.params.require("from_chat_id"))
    source = call.state.conversation(call.bot, source_chat).find(call.params.integer("message_id") or 0)
    if source is None:
        raise bad_request("message to copy not found")
    data = call.new_message(conv)
    for key in ("text", "entities", "photo", "document", "location", "venue", "caption", "caption_entities"):
        if key in source.data:
            data[key] = source.data[key]
    if call.params.has("caption"):
        call.add_caption(data)
    call.deliver(conv, data)
    return {"message_id": data["message_id"]}


async def send_chat_action(call: Call) -> bool:
    """sendChatAction: "typing..." is shown to nobody here, but the chat must exist."""
    call.chat()
    return True


def _document(call: Call, upload: Upload | None, file_id: str | None) -> JSON:
    if upload is None:
        return call.state.files.get(str(file_id)).document_json()
    mime = upload.content_type or mimetypes.guess_type(upload.filename or "")[0]
    stored = call.state.files.add(upload.data, "documents", file_name=upload.filename, mime_type=mime)
    return stored.document_json()


def _album_item(call: Call, item: dict[str, Any]) -> JSON:
    upload, file_id = resolve_media_reference(call.params, str(item.get("media") or ""))
    if upload is None and not file_id:
        raise bad_request("media is empty")
    content: JSON = {}
    if item["type"] == "photo":
        if upload:
            check_photo_upload(upload.data)
        content["photo"] = (
            call.state.files.add_photo(upload.data) if upload else call.state.files.photo_sizes(str(file_id))
        )
    else:
        content["document"] = _document(call, upload, file_id)
    caption, entities = parse_formatted(item.get("caption") or "", item.get("parse_mode"))
    if utf16_len(caption) > MAX_CAPTION:
        raise bad_request("message caption is too long")
    entities = with_detected_commands(caption, entities)
    if caption:
        content["caption"] = caption
    if entities:
        content["caption_entities"] = entities
    return content


def _location(call: Call) -> JSON:
    latitude, longitude = call.params.number("latitude"), call.params.number("longitude")
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        raise bad_request("wrong location coordinates")
    location: JSON = {"latitude": latitude, "longitude": longitude}
    for name in ("live_period", "heading", "proximity_alert_radius"):
        value = call.params.integer(name)
        if value is not None:
            location[name] = value
    if call.params.has("horizontal_accuracy"):
        location["horizontal_accuracy"] = call.params.number("horizontal_accuracy")
    return location


METHODS: dict[str, Method] = {
    "sendmessage": send_message,
    "sendphoto": send_photo,
    "senddocument": send_document,
    "sendmediagroup": send_media_group,
    "sendlocation": send_location,
    "sendvenue": send_venue,
    "copymessage": copy_message,
    "sendchataction": send_chat_action,
}
