"""Bot API methods that change or remove messages, and answers to button presses."""

from __future__ import annotations

from sandbox.call import MAX_CALLBACK_ANSWER, MAX_CAPTION, MAX_TEXT, Call, Method, check_markup
from sandbox.errors import JSON, bad_request
from sandbox.markup import utf16_len
from sandbox.state import Conversation, MessageRecord

_NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly the same "
    "as a current content and reply markup of the message"
)
_MEDIA_KEYS = ("photo", "document", "video", "animation", "audio", "voice")


async def edit_message_text(call: Call) -> JSON:
    """editMessageText: new text (and optionally new inline keyboard) for a bot message."""
    conv, record = _own_message(call)
    if "text" not in record.data:
        raise bad_request("there is no text in the message to edit")
    text, entities = call.formatted("text", "entities", MAX_TEXT, "MESSAGE_TOO_LONG")
    if not text.strip():
        raise bad_request("message text is empty")
    return _apply(call, conv, record, {"text": text, "entities": entities})


async def edit_message_caption(call: Call) -> JSON:
    """editMessageCaption: new caption for a bot's photo or document message."""
    conv, record = _own_message(call)
    if not any(key in record.data for key in _MEDIA_KEYS):
        raise bad_request("there is no caption in the message to edit")
    caption, entities = call.formatted("caption", "caption_entities", MAX_CAPTION, "message caption is too long")
    return _apply(call, conv, record, {"caption": caption, "caption_entities": entities})


async def edit_message_reply_markup(call: Call) -> JSON:
    """editMessageReplyMarkup: replace or (without reply_markup) remove a message's inline keyboard."""
    conv, record = _own_message(call)
    return _apply(call, conv, record, {})


async def delete_message(call: Call) -> bool:
    """deleteMessage: the message disappears from the chat (the transcript marks it deleted)."""
    conv, record = call.existing("message to delete not found")
    record.deleted = True
    call.state.announce(conv, "delete", record)
    return True


async def delete_messages(call: Call) -> bool:
    """deleteMessages: delete several messages, skipping those already gone."""
    conv = call.chat()
    for message_id in call.params.parsed("message_ids") or []:
        record = conv.find(int(message_id))
        if record is not None:
            record.deleted = True
            call.state.announce(conv, "delete", record)
    return True


async def answer_callback_query(call: Call) -> bool:
    """answerCallbackQuery: record the toast or alert the pressing user sees; a query is answered once."""
    query_id = call.params.require("callback_query_id")
    query = call.state.callbacks.get(query_id)
    if query is None or query["bot_id"] != call.bot.id or query["answered"]:
        raise bad_request("query is too old and response timeout expired or query ID is invalid")
    if utf16_len(call.params.text("text") or "") > MAX_CALLBACK_ANSWER:
        raise bad_request("MESSAGE_TOO_LONG")
    query.update(
        answered=True,
        text=call.params.text("text"),
        show_alert=call.params.flag("show_alert"),
        url=call.params.text("url"),
    )
    call.state.events.emit("callback_answer", bot_id=call.bot.id, chat_id=query["chat_id"], answer=dict(query))
    return True


def _own_message(call: Call) -> tuple[Conversation, MessageRecord]:
    conv, record = call.existing("message to edit not found")
    if not record.from_bot:
        raise bad_request("message can't be edited")
    return conv, record


def _apply(call: Call, conv: Conversation, record: MessageRecord, changes: JSON) -> JSON:
    """Write the edit unless nothing changes, which Telegram refuses with "message is not modified"."""
    markup = check_markup(call.params.parsed("reply_markup"))
    changes["reply_markup"] = markup if markup and "inline_keyboard" in markup else None
    updated = dict(record.data)
    for key, value in changes.items():
        if value:
            updated[key] = value
        else:
            updated.pop(key, None)
    if updated == record.data:
        raise bad_request(_NOT_MODIFIED)
    updated["edit_date"] = call.state.now()
    record.data = updated
    call.state.announce(conv, "edit", record)
    return updated


METHODS: dict[str, Method] = {
    "editmessagetext": edit_message_text,
    "editmessagecaption": edit_message_caption,
    "editmessagereplymarkup": edit_message_reply_markup,
    "deletemessage": delete_message,
    "deletemessages": delete_messages,
    "answercallbackquery": answer_callback_query,
}
