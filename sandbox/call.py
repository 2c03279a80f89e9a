"""One Bot API call in progress: the bot, its parameters, and the steps every sending method shares."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from sandbox.errors import JSON, ApiError, bad_request
from sandbox.markup import parse_formatted, utf16_len, with_detected_commands
from sandbox.params import Params
from sandbox.state import BotAccount, Conversation, MessageRecord, SandboxState

Method = Callable[["Call"], Awaitable[Any]]
MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_ANSWER = 200  # answerCallbackQuery's text
MAX_INLINE_BUTTONS = 100  # an inline keyboard's buttons, all rows together


@dataclass
class Call:
    """What a method handler needs: the world, the calling bot and the request's parameters."""

    state: SandboxState
    bot: BotAccount
    params: Params

    def chat(self, sending: bool = False) -> Conversation:
        """The chat named by chat_id: 400 if unknown, 403 if blocked, 429 for a send over the limit."""
        chat = self.state.resolve_chat(self.params.require("chat_id"))
        user = self.state.users.get(chat["id"])
        if chat["type"] == "private" and user is not None and user.blocks(self.bot.id):
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        if sending:
            self.state.limiter.check(self.bot.id, chat["id"], chat["type"] == "private")
        return self.state.conversation(self.bot, chat)

    def existing(self, missing: str) -> tuple[Conversation, MessageRecord]:
        """The message named by chat_id + message_id; `missing` is the 400 text when it is gone."""
        if self.params.has("inline_message_id"):
            raise bad_request("inline messages are not supported by the sandbox")
        conv = self.chat()
        record = conv.find(self.params.integer("message_id") or 0)
        if record is None:
            raise bad_request(missing)
        return conv, record

    def new_message(self, conv: Conversation) -> JSON:
        """The skeleton of a message the bot sends into `conv`."""
        data: JSON = {"message_id": conv.next_message_id(), "date": self.state.now(), "chat": conv.chat}
        if conv.chat["type"] == "channel":
            data["sender_chat"] = conv.chat
        else:
            data["from"] = self.bot.to_json()
        return data

    def formatted(self, text_name: str, entities_name: str, limit: int, too_long: str) -> tuple[str, list[JSON]]:
        """Text or caption after parse_mode, with its entities; Telegram's 400s for bad markup or length."""
        raw = self.params.text(text_name) or ""
        mode = self.params.text("parse_mode")
        if mode:
            text, entities = parse_formatted(raw, mode)
        else:
            text, entities = raw, list(self.params.parsed(entities_name) or [])
        if utf16_len(text) > limit:  # Telegram counts UTF-16 code units: an emoji outside the BMP counts twice
            raise bad_request(too_long)
        return text, with_detected_commands(text, entities)

    def add_caption(self, data: JSON) -> JSON:
        """Attach caption and caption_entities from the parameters to a media message."""
        caption, entities = self.formatted("caption", "caption_entities", MAX_CAPTION, "message caption is too long")
        if caption:
            data["caption"] = caption
        if entities:
            data["caption_entities"] = entities
        return data

    def deliver(self, conv: Conversation, data: JSON) -> JSON:
        """Apply reply and markup parameters, store the message and return it."""
        self.attach_reply(conv, data)
        markup = check_markup(self.params.parsed("reply_markup"))
        reply_keyboard = None
        if markup and "inline_keyboard" in markup:
            data["reply_markup"] = markup
        elif markup and "keyboard" in markup:
            conv.reply_keyboard = reply_keyboard = markup
        elif markup and markup.get("remove_keyboard"):
            conv.reply_keyboard = None
        self.state.record(conv, data, from_bot=True, reply_keyboard=reply_keyboard)
        return data

    def attach_reply(self, conv: Conversation, data: JSON) -> None:
        """Quote the message named by reply_parameters (PTB 22) or reply_to_message_id."""
        reply = self.params.parsed("reply_parameters") or {}
        message_id = reply.get("message_id") or self.params.integer("reply_to_message_id")
        if not message_id:
            return
        target = conv.find(int(message_id))
        if target is not None:
            data["reply_to_message"] = target.data
        elif not (reply.get("allow_sending_without_reply") or self.params.flag("allow_sending_without_reply")):
            raise bad_request("message to be replied not found")


def check_markup(markup: Any) -> JSON | None:
    """Reject inline buttons Telegram would reject (more than 100 of them, or one without text or with bad
    callback data); return the markup otherwise. Every method taking reply_markup checks it here."""
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    if sum(len(row) for row in markup.get("inline_keyboard", [])) > MAX_INLINE_BUTTONS:
        raise bad_request("reply markup is too long")
    for row in markup.get("inline_keyboard", []):
        for button in row:
            if not button.get("text"):
                raise bad_request("text buttons are unallowed in the inline keyboard")
            data = button.get("callback_data")
            if data is not None and not 1 <= len(data.encode()) <= 64:
                raise bad_request("BUTTON_DATA_INVALID")
    return markup
