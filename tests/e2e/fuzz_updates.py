"""Generated Telegram updates for the fuzz suite, posted into the sandbox as its clients would post them.

``Fuzzer.step()`` makes one person do one random thing in the sandbox (in this process, no HTTP): text of any
length and script, commands with odd arguments and entities, photos and files (real or unknown file ids, any
claimed size and type), albums whose photos arrive out of order, places in and far out of range, stickers and the
like, edits of earlier messages, and button presses: real ones from the bot's last keyboard and forged ones. The
bot then fetches these updates through ``getUpdates`` as it would from Telegram. Everything follows one seed.
"""

from __future__ import annotations

import io
import random
import uuid
from dataclasses import dataclass, field
from typing import Any

from PIL import Image

from sandbox.markup import command_entities
from sandbox.state import BotAccount, SandboxState, UserAccount
from sandbox.useractions import Actor, edit_text, make_actor, press_button

JSON = dict[str, Any]

#: Character ranges a person may type: ASCII, Latin-1, CJK, Arabic and Hebrew, combining marks, zero-width and
#: direction marks, emoji (two UTF-16 units each), controls. No lone surrogates: no client can send one.
RANGES = (
    (0x20, 0x7E),
    (0xA0, 0xFF),
    (0x4E00, 0x9FFF),
    (0x0590, 0x06FF),
    (0x0300, 0x036F),
    (0x200B, 0x200F),
    (0x1F300, 0x1FAFF),
    (0x01, 0x1F),
)
COMMANDS = (
    "start", "help", "lang", "report", "cancel", "skip", "my", "subscribe", "unsubscribe", "leaderboard",
    "tasks", "case", "queue", "assign", "extend", "suspend", "resume", "close", "reject", "nonsense",
)  # fmt: skip
TOKEN_SHAPES = (
    "case:{a}:{n}", "case:assign:{n}:{w}", "draft:{d}:{n}", "draft:cat:{n}:{c}", "my:case:{n}", "sub:{s}:{w}",
    "lang:{w}", "{w}", "case:{a}:{big}", "draft:submit:{n}:{w}",
)  # fmt: skip
ACTIONS = ("accept", "resolve", "return", "fixed", "notfixed", "sendback", "reject", "delete")


@dataclass
class Person:
    """A fuzzed person and what they have sent so far (for edits)."""

    user: UserAccount
    texts: list[int] = field(default_factory=list)
    places: list[int] = field(default_factory=list)


class Fuzzer:
    """One seed, a set of people and groups, and a generator of things they do."""

    def __init__(self, state: SandboxState, bot: BotAccount, people: list[UserAccount], groups: list[int], seed: int):
        self.state, self.bot = state, bot
        self.people = [Person(user) for user in people]
        self.groups = groups
        self.rng = random.Random(seed)
        self.photos = [state.files.add_photo(_jpeg(self.rng.randrange(1 << 24))) for _ in range(4)]
        self.documents = [
            state.files.add(_jpeg(1), "documents", file_name="street.jpg", mime_type="image/jpeg").document_json(),
            state.files.add(
                b"%PDF-1.4 junk", "documents", file_name="x.pdf", mime_type="application/pdf"
            ).document_json(),
        ]
        self.sent = 0  # updates queued for the bot

    # ---------------------------------------------------------------- one step
    def step(self) -> None:
        """One random person does one random thing (an album counts as several updates)."""
        # The first two people are staff (an officer and a supervisor): they act often enough to work on cases.
        person = self.rng.choice(self.people[:2] if self.rng.random() < 0.12 else self.people)
        in_group = self.groups and self.rng.random() < 0.04
        actor = make_actor(self.state, person.user.id, self.bot.id, self.rng.choice(self.groups) if in_group else None)
        kind = self.rng.choices(
            (
                "text",
                "command",
                "photo",
                "document",
                "location",
                "venue",
                "album",
                "other",
                "edit",
                "press",
                "forge",
                "elsewhere",
            ),
            (22, 17, 8, 4, 8, 2, 3, 4, 5, 8, 5, 14),
        )[0]
        getattr(self, f"_{kind}")(actor, person)

    def _post(self, actor: Actor, content: JSON) -> JSON:
        self.sent += 1
        return actor.post(content)["message"]

    # ---------------------------------------------------------------- messages
    def _text(self, actor: Actor, person: Person) -> None:
        said = self.text()
        if not said:
            said = " "
        message = self._post(actor, {"text": said, **self._entities(said)})
        person.texts.append(message["message_id"])

    def _command(self, actor: Actor, person: Person) -> None:
        name = self.rng.choice(COMMANDS)
        if self.rng.random() < 0.1:
            name = name.upper() if self.rng.random() < 0.5 else f"{name}@{self.rng.choice(['citybot_test_bot', 'x'])}"
        args = [self.word() for _ in range(self.rng.choice((0, 0, 1, 2, 3, 8)))]
        said = " ".join([f"/{name}", *args])
        message = self._post(actor, {"text": said, **self._entities(said)})
        person.texts.append(message["message_id"])

    def _photo(self, actor: Actor, person: Person) -> None:
        self._post(actor, {"photo": self.photo_sizes(), **self.caption()})

    def _document(self, actor: Actor, person: Person) -> None:
        document = dict(self.rng.choice(self.documents))
        if self.rng.random() < 0.5:
            document["file_size"] = self.rng.choice((0, 1, 20 * 1024 * 1024 + 1, 10**9, document.get("file_size", 1)))
        if self.rng.random() < 0.3:
            document["mime_type"] = self.rng.choice(("image/png", "image/heic", "text/plain", "", "image/" + "x" * 50))
        if self.rng.random() < 0.2:
            document["file_id"] = f"unknown-{uuid.UUID(int=self.rng.getrandbits(128)).hex}"
        self._post(actor, {"document": document, **self.caption()})

    def _location(self, actor: Actor, person: Person) -> None:
        location = self.point()
        if self.rng.random() < 0.15:
            location["live_period"] = self.rng.choice((60, 900, 86400, 0x7FFFFFFF))
        message = self._post(actor, {"location": location})
        person.places.append(message["message_id"])

    def _venue(self, actor: Actor, person: Person) -> None:
        location = self.point()
        venue = {"location": location, "title": self.text(200) or "x", "address": self.text(300)}
        self._post(actor, {"venue": venue, "location": location})

    def _album(self, actor: Actor, person: Person) -> None:
        """2-12 photos sharing a media_group_id, handed to the bot in a shuffled order."""
        group = uuid.UUID(int=self.rng.getrandbits(128)).hex[:16]
        messages = []
        for n in range(self.rng.randint(2, 12)):
            data: JSON = {
                "message_id": actor.conv.next_message_id(),
                "from": actor.user.to_json(),
                "date": self.state.now(),
                "chat": actor.conv.chat,
                "photo": self.photo_sizes(),
                "media_group_id": group,
                **(self.caption() if n == 0 else {}),
            }
            self.state.record(actor.conv, data, from_bot=False)
            messages.append(data)
        self.rng.shuffle(messages)
        for data in messages:
            self.bot.updates.push("message", data)
            self.sent += 1

    def _other(self, actor: Actor, person: Person) -> None:
        kind = self.rng.choice(("sticker", "voice", "video", "contact", "dice", "empty"))
        file = {"file_id": f"f-{self.rng.getrandbits(32)}", "file_unique_id": f"u-{self.rng.getrandbits(32)}"}
        content: JSON = {
            "sticker": {"sticker": {**file, "width": 512, "height": 512, "is_animated": False, "is_video": False,
                                    "type": "regular"}},
            "voice": {"voice": {**file, "duration": 3}},
            "video": {"video": {**file, "width": 1, "height": 1, "duration": 1}, **self.caption()},
            "contact": {"contact": {"phone_number": self.word(), "first_name": self.text(64) or "x"}},
            "dice": {"dice": {"emoji": "🎲", "value": 3}},
            "empty": {},
        }[kind]  # fmt: skip
        self._post(actor, content)

    def _elsewhere(self, actor: Actor, person: Person) -> None:
        """Updates of kinds the bot takes no action on: a channel's post, a reaction, its own membership, a vote."""
        who, chat, now = actor.user.to_json(), actor.conv.chat, self.state.now()
        member = {"status": "member", "user": self.bot.to_json()}
        kind, payload = self.rng.choice(
            (
                ("channel_post", {"message_id": self.rng.randint(1, 10**6), "date": now, "text": self.text(300) or "x",
                                  "chat": {"id": -100777, "type": "channel", "title": "news"},
                                  "sender_chat": {"id": -100777, "type": "channel", "title": "news"}}),
                ("my_chat_member", {"chat": chat, "from": who, "date": now, "old_chat_member": member,
                                    "new_chat_member": {**member, "status": self.rng.choice(("left", "member"))}}),
                ("message_reaction", {"chat": chat, "message_id": self.rng.randint(1, 50), "date": now, "user": who,
                                      "old_reaction": [], "new_reaction": [{"type": "emoji", "emoji": "👍"}]}),
                ("poll_answer", {"poll_id": str(self.rng.getrandbits(30)), "user": who, "option_ids": [0],
                                 "option_persistent_ids": ["0"]}),
            )
        )  # fmt: skip
        self.bot.updates.push(kind, payload)
        self.sent += 1

    # ---------------------------------------------------------------- edits and presses
    def _edit(self, actor: Actor, person: Person) -> None:
        """An earlier text or command changed (or an earlier place moved); nothing to edit: a text."""
        if person.places and self.rng.random() < 0.3:
            record = actor.conv.find(self.rng.choice(person.places))
            if record is not None:
                record.data = {**record.data, "location": self.point(), "edit_date": self.state.now()}
                self.bot.updates.push("edited_message", record.data)
                self.sent += 1
                return
        if not person.texts or actor.conv.chat["type"] != "private":
            return self._text(actor, person)
        said = self.rng.choice((self.text(), f"/{self.rng.choice(COMMANDS)} {self.word()}")) or "x"
        try:
            edit_text(actor, {"message_id": self.rng.choice(person.texts), "text": said}, [])
        except Exception:  # the message was not this person's text in this chat any more
            return self._text(actor, person)
        self.sent += 1
        return None

    def _press(self, actor: Actor, person: Person) -> None:
        """A real button of the bot's latest keyboard in this chat (or a forged press when there is none)."""
        for record in reversed(list(actor.conv.messages.values())[-10:]):
            rows = record.data.get("reply_markup", {}).get("inline_keyboard", []) if record.from_bot else []
            buttons = [b for row in rows for b in row if "callback_data" in b]
            if buttons:
                button = self.rng.choice(buttons)
                press_button(actor, {"message_id": record.data["message_id"], "button": button["callback_data"]}, [])
                self.sent += 1
                return
        self._forge(actor, person)

    def _forge(self, actor: Actor, person: Person) -> None:
        """Any callback data on any message of the chat, as a modified client can send."""
        recent = [r for r in list(actor.conv.messages.values())[-20:] if not r.deleted]
        if not recent:
            return self._text(actor, person)
        record = self.rng.choice(recent)
        data = self.token()
        if person in self.people[:2] and self.rng.random() < 0.7:  # staff: mostly case actions on cases that exist
            action = self.rng.choice((*ACTIONS, "assign"))
            data = f"case:{action}:{self.rng.randint(1, 80)}" + (":G-1" if action == "assign" else "")
        press_button(actor, {"message_id": record.data["message_id"], "button": data, "forge": "true"}, [])
        self.sent += 1
        return None

    # ---------------------------------------------------------------- values
    def text(self, longest: int = 5000) -> str:
        length = self.rng.choice((0, 1, 2, 5, 20, 100, 1000, 4096, longest))
        length = min(length, longest) if self.rng.random() < 0.5 else self.rng.randint(0, min(length, longest))
        made = "".join(chr(self.rng.randint(*self.rng.choice(RANGES))) for _ in range(min(length, 97)))
        return (made * (length // 97 + 1))[:length] if made else ""  # long texts: a random piece, repeated

    def word(self) -> str:
        n = self.rng.randint(1, 12)
        return self.rng.choice(
            (
                str(self.rng.randint(-5, 60)),
                "#" + str(self.rng.randint(0, 99)),
                "9" * self.rng.randint(10, 40),
                f"{self.rng.randint(-9, 99999999)}{self.rng.choice('hdmw')}",
                self.rng.choice(("G-1", "C-1", "city", "全市", "on", "off", "zh", "en", "join_" + "x" * 30)),
                self.text(40).replace(" ", "") or "x",
                "x" * n,
            )
        )

    def token(self) -> str:
        made = self.rng.choice(TOKEN_SHAPES).format(
            a=self.rng.choice(ACTIONS),
            n=self.rng.randint(0, 60),
            big="9" * self.rng.randint(13, 40),
            w=self.word(),
            d=self.rng.choice(("cat", "exif", "skip", "submit", "cancel", "", "nuke")),
            c=self.rng.choice(("0201", "0102", "99", "9999", "")),
            s=self.rng.choice(("city", "u", "s", "p", "zzz")),
        )
        return made.encode()[:64].decode(errors="ignore") or "x"

    def point(self) -> JSON:
        lat, lon = self.rng.choice(
            (
                (39.91 + self.rng.uniform(-0.01, 0.01), 116.40 + self.rng.uniform(-0.01, 0.01)),  # in G-1
                (self.rng.uniform(-90, 90), self.rng.uniform(-180, 180)),
                (self.rng.uniform(-1e6, 1e6), self.rng.uniform(-1e6, 1e6)),
                (self.rng.choice((90.0000001, -91.0, 0.0)), self.rng.choice((180.5, -181.0, 0.0))),
            )
        )
        return {"latitude": lat, "longitude": lon}

    def photo_sizes(self) -> list[JSON]:
        if self.rng.random() < 0.8:
            return list(self.rng.choice(self.photos))
        bogus = {"file_id": f"gone-{self.rng.getrandbits(40)}", "file_unique_id": f"g-{self.rng.getrandbits(40)}"}
        return [{**bogus, "width": self.rng.randint(0, 10**5), "height": self.rng.randint(0, 10**5),
                 "file_size": self.rng.choice((1, 10**9))}]  # fmt: skip

    def caption(self) -> JSON:
        return {"caption": self.text(1100)} if self.rng.random() < 0.3 else {}

    def _entities(self, said: str) -> JSON:
        entities = command_entities(said)
        if self.rng.random() < 0.05:  # a client that marks up oddly
            entities = [{"type": "bot_command", "offset": 0, "length": self.rng.randint(1, 200)}]
        return {"entities": entities} if entities else {}


def _jpeg(seed: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (32, 24), (seed & 255, seed >> 8 & 255, seed >> 16 & 255)).save(out, "JPEG")
    return out.getvalue()
