"""The sandbox's world: bots, users, chats, the conversations between them and their messages."""

from __future__ import annotations

import re
import time
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field

from sandbox.errors import CHAT_NOT_FOUND, JSON, ApiError, bad_request
from sandbox.feeds import EventLog, UpdateQueue
from sandbox.files import FileStore
from sandbox.limits import FaultInjector, RateLimiter
from sandbox.webhooks import Webhook

_TOKEN = re.compile(r"^(\d+):[\w-]+$")
ALL_BOTS = 0


@dataclass
class UserAccount:
    """A person using Telegram in the sandbox."""

    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None
    blocked: set[int] = field(default_factory=set)  # bot ids this user blocked; ALL_BOTS blocks every bot

    def blocks(self, bot_id: int) -> bool:
        """Whether this user has blocked the bot."""
        return ALL_BOTS in self.blocked or bot_id in self.blocked

    def to_json(self) -> JSON:
        """The Bot API `User` object."""
        return _drop_none(
            {
                "id": self.id,
                "is_bot": False,
                "first_name": self.first_name,
                "last_name": self.last_name,
                "username": self.username,
                "language_code": self.language_code,
            }
        )

    def chat_json(self) -> JSON:
        """The private `Chat` between this user and a bot."""
        return _drop_none(
            {
                "id": self.id,
                "type": "private",
                "first_name": self.first_name,
                "last_name": self.last_name,
                "username": self.username,
            }
        )


@dataclass
class BotAccount:
    """A bot, known by its token; holds its update queue and settings."""

    token: str
    id: int
    username: str
    first_name: str
    updates: UpdateQueue = field(default_factory=UpdateQueue)
    commands: dict[str, list[JSON]] = field(default_factory=dict)
    menu_button: JSON = field(default_factory=lambda: {"type": "commands"})
    webhook: Webhook | None = None  # set: updates are POSTed there and getUpdates answers 409

    def to_json(self) -> JSON:
        """The `User` object getMe answers with."""
        return {
            "id": self.id,
            "is_bot": True,
            "first_name": self.first_name,
            "username": self.username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }


@dataclass
class MessageRecord:
    """A message as it stands now (after edits), plus what only the sandbox knows about it."""

    data: JSON
    from_bot: bool
    deleted: bool = False
    reply_keyboard: JSON | None = None  # a reply keyboard sent with it (Telegram does not echo these)

    def to_json(self) -> JSON:
        """The transcript entry for this message."""
        return {
            "message": self.data,
            "from_bot": self.from_bot,
            "deleted": self.deleted,
            "reply_keyboard": self.reply_keyboard,
        }


@dataclass
class Conversation:
    """One chat as seen by one bot: its messages and the reply keyboard the user has open."""

    bot: BotAccount
    chat: JSON
    messages: dict[int, MessageRecord] = field(default_factory=dict)
    reply_keyboard: JSON | None = None
    _last_id: int = 0

    def next_message_id(self) -> int:
        """A fresh message id; ids count up per chat, as in Telegram."""
        self._last_id += 1
        return self._last_id

    def find(self, message_id: int) -> MessageRecord | None:
        """The live (not deleted) message with this id."""
        record = self.messages.get(message_id)
        return record if record and not record.deleted else None


class SandboxState:
    """Everything the sandbox knows; the Bot API and the control API both act on it."""

    def __init__(self, tokens: Iterable[str] | None = None, rate_limits: bool = False) -> None:
        self.bots: dict[str, BotAccount] = {}
        self.registry_only = tokens is not None
        self.users: dict[int, UserAccount] = {}
        self.groups: dict[int, JSON] = {}
        #: Who administers each group (its creator first): what getChatMember answers.
        self.admins: dict[int, list[int]] = {}
        self.conversations: dict[tuple[int, int], Conversation] = {}
        self.callbacks: dict[str, JSON] = {}
        self.files = FileStore()
        self.events = EventLog()
        self.limiter = RateLimiter(enabled=rate_limits)
        self.faults = FaultInjector()
        for token in tokens or ():
            self.register_bot(token)

    @staticmethod
    def now() -> int:
        """The Unix time used for message dates."""
        return int(time.time())

    def register_bot(self, token: str, username: str | None = None, first_name: str | None = None) -> BotAccount:
        """Add a bot (or rename a known one); the bot id is the token's number, as on Telegram."""
        match = _TOKEN.match(token)
        if not match:
            raise ApiError(404, "Not Found")
        bot_id = int(match.group(1))
        bot = self.bots.get(token) or BotAccount(token, bot_id, f"sandbox_{bot_id}_bot", "Sandbox Bot")
        bot.username = username or bot.username
        bot.first_name = first_name or bot.first_name
        self.bots[token] = bot
        return bot

    def bot_for_token(self, token: str) -> BotAccount:
        """The bot calling with this token; any well-formed token is welcome unless a registry was given."""
        if token in self.bots:
            return self.bots[token]
        if not _TOKEN.match(token):
            raise ApiError(404, "Not Found")
        if self.registry_only:
            raise ApiError(401, "Unauthorized")
        return self.register_bot(token)

    def pick_bot(self, selector: str | int | None) -> BotAccount:
        """A bot by token or id for user-side actions; without a selector, the first bot known."""
        for bot in self.bots.values():
            if selector in (None, "", bot.token, bot.id, str(bot.id)):
                return bot
        raise ApiError(404, f"no bot {selector}" if selector else "no bot has connected yet")

    def add_user(self, user: UserAccount) -> UserAccount:
        """Create or replace a user."""
        self.users[user.id] = user
        return user

    def user(self, user_id: int) -> UserAccount:
        """A known user, or 404."""
        if user_id not in self.users:
            raise ApiError(404, f"no user {user_id}")
        return self.users[user_id]

    def add_group(
        self,
        chat_id: int,
        title: str,
        kind: str = "channel",
        username: str | None = None,
        admins: Iterable[int] = (),
    ) -> JSON:
        """Register a channel, group or supergroup the bot may post into; ``admins`` administer it (creator first)."""
        if kind not in ("channel", "group", "supergroup"):
            raise bad_request(f"unknown chat type {kind}")
        self.groups[chat_id] = _drop_none({"id": chat_id, "type": kind, "title": title, "username": username})
        self.admins[chat_id] = list(admins)
        return self.groups[chat_id]

    def resolve_chat(self, raw: str | int) -> JSON:
        """The `Chat` for a chat_id parameter (number or @username), or 400 chat not found."""
        text = str(raw).strip()
        if text.startswith("@"):
            for chat in [*self.groups.values(), *(u.chat_json() for u in self.users.values())]:
                if chat.get("username", "").lower() == text[1:].lower():
                    return chat
            raise bad_request(CHAT_NOT_FOUND)
        try:
            chat_id = int(text)
        except ValueError:
            raise bad_request(CHAT_NOT_FOUND) from None
        if chat_id in self.groups:
            return self.groups[chat_id]
        if chat_id in self.users:
            return self.users[chat_id].chat_json()
        raise bad_request(CHAT_NOT_FOUND)

    def conversation(self, bot: BotAccount, chat: JSON) -> Conversation:
        """The conversation of `bot` in `chat`, created on first use."""
        key = (bot.id, chat["id"])
        if key not in self.conversations:
            self.conversations[key] = Conversation(bot, chat)
        return self.conversations[key]

    def record(self, conv: Conversation, data: JSON, from_bot: bool, reply_keyboard: JSON | None = None) -> int:
        """Store a new message in a conversation and announce it; returns the event id."""
        record = MessageRecord(data, from_bot, reply_keyboard=reply_keyboard)
        conv.messages[data["message_id"]] = record
        return self.events.emit("message", bot_id=conv.bot.id, chat_id=conv.chat["id"], **record.to_json())

    def announce(self, conv: Conversation, kind: str, record: MessageRecord) -> int:
        """Tell viewers a message changed ("edit") or went away ("delete")."""
        return self.events.emit(kind, bot_id=conv.bot.id, chat_id=conv.chat["id"], **record.to_json())

    def chat_instance(self, bot: BotAccount, chat_id: int) -> str:
        """A stable chat_instance string for callback queries from this chat."""
        return str(zlib.crc32(f"{bot.id}:{chat_id}".encode()))

    def reset(self) -> None:
        """Forget users, chats, messages, files and faults; bots stay but their queues are emptied."""
        self.users.clear()
        self.groups.clear()
        self.admins.clear()
        self.conversations.clear()
        self.callbacks.clear()
        self.files = FileStore()
        self.faults.clear()
        self.limiter.configure(False)
        for bot in self.bots.values():
            bot.updates.drop_all()


def _drop_none(values: JSON) -> JSON:
    return {key: value for key, value in values.items() if value is not None}
