"""Drive the sandbox as people would, over HTTP: `await client.send_text(user, "hi")`."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import aiohttp

from sandbox.control_client import ControlClient, ControlError
from sandbox.views import JSON, Button, CallbackAnswer, ChatMessage, SandboxUser, keyboard_rows

Predicate = str | Callable[[ChatMessage], bool] | None
PhotoSource = bytes | str | Path


class SandboxError(ControlError):
    """The control API refused a request."""


class SandboxClient(ControlClient):
    """User-side and control access to a running sandbox; `bot` picks the bot when several share it."""

    prefix = "/sandbox/api"
    error = SandboxError

    def __init__(self, url: str, bot: str | int | None = None) -> None:
        super().__init__(url)
        self.bot = bot
        self._bot_id = int(str(bot).split(":")[0]) if bot is not None else None
        self._marks: dict[tuple[int, str], int] = {}  # where wait_for_* starts looking, per chat and kind

    # -- people and chats --
    async def create_user(
        self,
        id: int | None = None,
        first_name: str = "User",
        username: str | None = None,
        language_code: str | None = None,
        last_name: str | None = None,
    ) -> SandboxUser:
        """Create a user who can then talk to the bot."""
        data = await self._call(
            "POST",
            "/users",
            {
                "id": id,
                "first_name": first_name,
                "username": username,
                "language_code": language_code,
                "last_name": last_name,
            },
        )
        return SandboxUser(data["id"], data["first_name"], data.get("username"), data.get("language_code"))

    async def register_bot(self, token: str, username: str | None = None, first_name: str | None = None) -> JSON:
        """Make a bot known before it connects (so users can write to it first)."""
        return await self._call("POST", "/bots", {"token": token, "username": username, "first_name": first_name})

    async def create_channel(
        self,
        title: str,
        id: int | None = None,
        username: str | None = None,
        type: str = "channel",
        admins: Sequence[SandboxUser] = (),
    ) -> JSON:
        """Register a channel (or group) the bot may post into; ``admins`` administer it (the first created it)."""
        fields = {"title": title, "id": id, "username": username, "type": type, "admins": [a.id for a in admins]}
        return await self._call("POST", "/chats", fields)

    async def block_bot(self, user: SandboxUser, blocked: bool = True) -> None:
        """Make the user block (or unblock) the bot: sends to them then fail with 403."""
        await self._call("POST", f"/users/{user.id}/block", {"bot": self.bot, "blocked": blocked})

    # -- acting as a user --
    async def _act(
        self,
        user: SandboxUser,
        action: str,
        fields: JSON,
        files: Sequence[tuple[bytes, str, str]] = (),
        chat_id: int | None = None,
    ) -> Any:
        fields = {"bot": self.bot, "chat_id": chat_id, **fields}
        body: JSON | aiohttp.FormData = {key: value for key, value in fields.items() if value is not None}
        if files:
            form = aiohttp.FormData()
            for key, value in body.items():  # type: ignore[union-attr]
                form.add_field(key, str(value))
            for data, name, mime in files:
                form.add_field("file", data, filename=name, content_type=mime)
            body = form
        result = await self._call("POST", f"/users/{user.id}/{action}", body)
        for item in result if isinstance(result, list) else [result]:
            target = chat_id if chat_id is not None else user.chat_id
            for kind in ("message", "edit"):
                self._marks[(target, kind)] = max(self._marks.get((target, kind), 0), item["event_id"])
        return result

    async def send_text(
        self, user: SandboxUser, text: str, reply_to: int | None = None, chat_id: int | None = None
    ) -> ChatMessage:
        """Type and send a text message."""
        result = await self._act(user, "text", {"text": text, "reply_to": reply_to}, chat_id=chat_id)
        return ChatMessage.from_entry(result)

    async def send_command(self, user: SandboxUser, command: str, *args: str) -> ChatMessage:
        """Send `/command arg...` (the leading slash is optional)."""
        text = " ".join([command if command.startswith("/") else f"/{command}", *args])
        return await self.send_text(user, text)

    async def send_photo(self, user: SandboxUser, photo: PhotoSource, caption: str | None = None) -> ChatMessage:
        """Send a compressed photo (Telegram drops its EXIF)."""
        result = await self._act(user, "photo", {"caption": caption}, [(_read(photo), "photo.jpg", "image/jpeg")])
        return ChatMessage.from_entry(result)

    async def send_album(
        self, user: SandboxUser, photos: Iterable[PhotoSource], caption: str | None = None
    ) -> list[ChatMessage]:
        """Send 2-10 photos as one album: separate messages sharing a media_group_id."""
        files = [(_read(photo), f"photo{i}.jpg", "image/jpeg") for i, photo in enumerate(photos)]
        result = await self._act(user, "album", {"caption": caption}, files)
        return [ChatMessage.from_entry(item) for item in result]

    async def send_document(
        self,
        user: SandboxUser,
        data: PhotoSource,
        file_name: str,
        mime_type: str = "application/octet-stream",
        caption: str | None = None,
    ) -> ChatMessage:
        """Send a file "as file"; the bytes (and a photo's EXIF) arrive unchanged."""
        fields = {"file_name": file_name, "mime_type": mime_type, "caption": caption}
        result = await self._act(user, "document", fields, [(_read(data), file_name, mime_type)])
        return ChatMessage.from_entry(result)

    async def send_location(
        self,
        user: SandboxUser,
        latitude: float,
        longitude: float,
        live_period: int | None = None,
        horizontal_accuracy: float | None = None,
    ) -> ChatMessage:
        """Share a location; with live_period it is a live location."""
        fields = {
            "latitude": latitude,
            "longitude": longitude,
            "live_period": live_period,
            "horizontal_accuracy": horizontal_accuracy,
        }
        return ChatMessage.from_entry(await self._act(user, "location", fields))

    async def move_live_location(
        self, user: SandboxUser, message: ChatMessage, latitude: float, longitude: float
    ) -> ChatMessage:
        """Move a live location; the bot receives an edited_message."""
        fields = {"message_id": message.message_id, "latitude": latitude, "longitude": longitude}
        return ChatMessage.from_entry(await self._act(user, "live_location", fields))

    async def edit_text(self, user: SandboxUser, message: ChatMessage, text: str) -> ChatMessage:
        """Edit one of the user's own texts; the bot receives an edited_message."""
        fields = {"message_id": message.message_id, "text": text}
        return ChatMessage.from_entry(await self._act(user, "edit_text", fields))

    async def send_venue(
        self, user: SandboxUser, latitude: float, longitude: float, title: str, address: str
    ) -> ChatMessage:
        """Share a named place."""
        fields = {"latitude": latitude, "longitude": longitude, "title": title, "address": address}
        return ChatMessage.from_entry(await self._act(user, "venue", fields))

    async def send_sticker(self, user: SandboxUser) -> ChatMessage:
        """Send a sticker."""
        return ChatMessage.from_entry(await self._act(user, "sticker", {}))

    async def send_voice(self, user: SandboxUser) -> ChatMessage:
        """Send a voice note."""
        return ChatMessage.from_entry(await self._act(user, "voice", {}))

    async def send_video(self, user: SandboxUser) -> ChatMessage:
        """Send a video."""
        return ChatMessage.from_entry(await self._act(user, "video", {}))

    async def send_contact(self, user: SandboxUser, phone_number: str = "+10000000000") -> ChatMessage:
        """Share the user's own phone number."""
        return ChatMessage.from_entry(await self._act(user, "contact", {"phone_number": phone_number}))

    async def press(self, user: SandboxUser, message: ChatMessage | int, button: str, forge: bool = False) -> str:
        """Press an inline button by label or callback data; returns the callback query id.

        With `forge`, `button` is sent as callback_data whether or not the message has such a button,
        as a modified client could.
        """
        message_id = message if isinstance(message, int) else message.message_id
        chat_id = None if isinstance(message, int) or message.chat_id == user.chat_id else message.chat_id
        fields = {"message_id": message_id, "button": button, "forge": forge}
        result = await self._act(user, "press", fields, chat_id=chat_id)
        return str(result["callback_query_id"])

    async def tap_keyboard(
        self, user: SandboxUser, label: str, location: tuple[float, float] | None = None
    ) -> ChatMessage:
        """Tap a reply-keyboard button: it sends its label, or the location for a request_location button."""
        found = [button for row in await self.reply_keyboard(user) for button in row if button.text == label]
        if not found:
            raise LookupError(f"no keyboard button {label!r} is shown to user {user.id}")
        if found[0].request_location:
            if location is None:
                raise ValueError("this button shares a location: pass location=(lat, lon)")
            return await self.send_location(user, *location)
        if found[0].request_contact:
            return await self.send_contact(user)
        return await self.send_text(user, label)

    # -- what the chat shows --
    async def reply_keyboard(self, user: SandboxUser) -> list[list[Button]]:
        """The reply keyboard the bot currently shows the user (empty when none or removed)."""
        data = await self._call("GET", f"/chats/{user.chat_id}/messages", params={"bot": self.bot})
        return keyboard_rows(data["reply_keyboard"], "keyboard")

    async def messages(self, chat_id: int, include_deleted: bool = False) -> list[ChatMessage]:
        """The chat's messages (both sides) as they stand now."""
        data = await self._call("GET", f"/chats/{chat_id}/messages", params={"bot": self.bot})
        found = [ChatMessage.from_entry(entry) for entry in data["messages"]]
        return [message for message in found if include_deleted or not message.deleted]

    async def bot_messages(self, chat_id: int) -> list[ChatMessage]:
        """Only what the bot said in the chat (deleted messages left out)."""
        return [message for message in await self.messages(chat_id) if message.from_bot]

    # Waiting is a chain of HTTP long polls, so an explicit deadline reads better than asyncio.timeout().
    async def wait_for_message(
        self,
        chat_id: int,
        predicate: Predicate = None,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> ChatMessage:
        """The next new bot message in the chat (after the user's last action there) matching `predicate`.

        A string predicate matches a message whose text or caption contains it.
        """
        return await self._wait(chat_id, "message", predicate, timeout)

    async def wait_for_edit(
        self,
        chat_id: int,
        predicate: Predicate = None,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> ChatMessage:
        """The next edit of a bot message in the chat matching `predicate`, as the message now reads."""
        return await self._wait(chat_id, "edit", predicate, timeout)

    async def _wait(self, chat_id: int, kind: str, predicate: Predicate, seconds: float) -> ChatMessage:
        match = _matcher(predicate)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        cursor = self._marks.get((chat_id, kind), 0)
        while (remaining := deadline - loop.time()) > 0:
            batch = await self._call("GET", "/events", params={"after": cursor, "timeout": min(remaining, 10)})
            for event in batch["events"]:
                cursor = event["id"]
                if event["type"] != kind or event.get("chat_id") != chat_id or not event.get("from_bot"):
                    continue
                if self._bot_id is not None and event.get("bot_id") != self._bot_id:
                    continue
                message = ChatMessage.from_entry(event)
                if match(message):
                    self._marks[(chat_id, kind)] = cursor
                    return message
        shown = [m.text for m in await self.bot_messages(chat_id)][-5:]
        raise TimeoutError(f"no bot {kind} in chat {chat_id} matching {predicate!r}; bot's last messages: {shown}")

    async def callback_answers(self, user: SandboxUser | None = None) -> list[CallbackAnswer]:
        """Every button press (of one user, if given) and the bot's answer to it."""
        data = await self._call("GET", "/callbacks", params={"user_id": user.id if user else None})
        return [CallbackAnswer.from_json(item) for item in data]

    async def wait_for_answer(self, query_id: str, timeout: float = 5.0) -> CallbackAnswer:  # noqa: ASYNC109
        """The bot's answer to a button press, once it has answered."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while loop.time() < deadline:
            for answer in await self.callback_answers():
                if answer.query_id == query_id and answer.answered:
                    return answer
            await asyncio.sleep(0.02)
        raise TimeoutError(f"the bot did not answer callback query {query_id}")

    async def download(self, file_id: str) -> bytes:
        """The bytes of a file in the sandbox (a photo or document someone sent)."""
        return await self._bytes(f"/files/{file_id}", f"no file {file_id}")

    # -- limits and faults --
    async def set_rate_limits(self, enabled: bool = True, **limits: float) -> None:
        """Enforce Telegram's flood limits (private_per_second, private_burst, group_per_minute...)."""
        await self._call("POST", "/rate_limits", {"enabled": enabled, **limits})

    async def set_faults(
        self,
        rate: float = 0.0,
        statuses: Sequence[int] = (500,),
        seed: int = 0,
        methods: Sequence[str] | None = None,
        delays: dict[str, float] | None = None,
    ) -> None:
        """Fail `rate` of sending calls at random (seeded) with these statuses, and/or delay methods."""
        await self._call(
            "POST",
            "/faults",
            {
                "rate": rate,
                "statuses": list(statuses),
                "seed": seed,
                "methods": list(methods) if methods else None,
                "delays": delays,
            },
        )

    async def script_faults(
        self,
        method: str,
        status: int = 500,
        count: int = 1,
        delivered: bool = False,
        retry_after: int = 1,
        delay: float = 0.0,
    ) -> None:
        """Fail the next `count` calls of `method`; `delivered` keeps the message but loses the response."""
        item = {
            "method": method,
            "status": status,
            "count": count,
            "delivered": delivered,
            "retry_after": retry_after,
            "delay": delay,
        }
        await self._call("POST", "/faults", {"script": [item]})

    async def clear_faults(self) -> None:
        """Stop injecting faults and delays."""
        await self._call("DELETE", "/faults")

    async def reset(self) -> None:
        """Forget users, chats, messages and faults."""
        await self._call("POST", "/reset")
        self._marks.clear()


def _read(source: PhotoSource) -> bytes:
    return source if isinstance(source, bytes) else Path(source).read_bytes()


def _matcher(predicate: Predicate) -> Callable[[ChatMessage], bool]:
    if predicate is None:
        return lambda message: True
    if isinstance(predicate, str):
        return lambda message: predicate in message.text
    return predicate
