"""The Telegram adapter without I/O: commands as PTB reads them, replies composed as Telegram allows them."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from telegram import (
    Bot,
    Chat,
    InlineKeyboardMarkup,
    Message,
    MessageEntity,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    User,
)

from channels.telegram.parse import command_of
from channels.telegram.render import Renderer, compose
from services.clock import ManualClock
from services.config import load_config
from services.context import Services
from services.conversation import Reply
from services.conversation.tokens import parse_case
from services.messages import Choice, Text, text
from services.messages import Message as Said


@pytest.fixture
def renderer(tmp_path: Path) -> Renderer:
    clock = ManualClock(datetime(2026, 11, 16, 2, tzinfo=UTC))
    services = Services.build(None, load_config(), clock, "Asia/Shanghai", tmp_path)  # type: ignore[arg-type]
    return Renderer(services, "zh_CN")


class NamedBot(Bot):
    """A bot that knows its username without asking Telegram."""

    @property
    def username(self) -> str:
        return "citybot_test_bot"


def typed(said: str) -> Message:
    first = said.split()[0]
    entity = MessageEntity(MessageEntity.BOT_COMMAND, 0, len(first))
    chat = Chat(1, Chat.PRIVATE)
    return Message(
        1, datetime(2026, 11, 16, tzinfo=UTC), chat, from_user=User(1, "A", False), text=said, entities=(entity,)
    )


def test_a_command_is_read_as_ptb_reads_it() -> None:
    bot = NamedBot("1:offline")
    mine = command_of(typed("/Report@CityBot_Test_Bot now please"), bot)
    assert mine is not None and (mine.name, mine.args) == ("report", ("now", "please"))
    theirs = command_of(typed("/start@other_bot"), bot)
    assert theirs is not None and theirs.name == "start@other_bot"  # nobody here handles it: "unknown command"


@pytest.mark.parametrize(("said", "length"), [(" ", 1), ("/", 1), ("/ start", 7), ("\u2003\n", 2)])
def test_a_command_mark_on_no_command_is_no_command(said: str, length: int) -> None:
    """A client (or a forged update) that marks blanks or a bare slash as a command: read as text, not a crash."""
    entity = MessageEntity(MessageEntity.BOT_COMMAND, 0, length)
    message = Message(1, datetime(2026, 11, 16, tzinfo=UTC), Chat(1, Chat.PRIVATE), text=said, entities=(entity,))
    assert command_of(message, NamedBot("1:offline")) is None


def test_a_command_mark_longer_than_the_command_takes_its_first_word() -> None:
    entity = MessageEntity(MessageEntity.BOT_COMMAND, 0, 200)
    message = Message(1, datetime(2026, 11, 16, tzinfo=UTC), Chat(1, Chat.PRIVATE), text="/case 12", entities=(entity,))
    read = command_of(message, NamedBot("1:offline"))
    assert read is not None and (read.name, read.args) == ("case", ("12",))


def test_the_lead_joins_the_first_message_unless_a_keyboard_is_taken_away(renderer: Renderer) -> None:
    lead = (text("📍 Location saved: {place}", place="39.91000, 116.40000"),)
    skip = Said(
        (text("Add a short note for the officer (at most {limit} characters), or tap Skip.", limit=500),),
        ((Choice(text("Skip"), "draft:skip:3"),),),
    )
    alone, question = compose(Reply(lead=lead, messages=[skip], end_location=True))
    assert renderer.text(alone.lines) == "📍 位置已记录：39.91000, 116.40000"
    assert isinstance(renderer.markup(alone), ReplyKeyboardRemove) and question.choices
    [joined] = compose(Reply(lead=lead, messages=[skip]))
    assert renderer.text(joined.lines).startswith("📍 位置已记录：39.91000, 116.40000\n\n") and joined.choices
    [plain] = compose(Reply(lead=lead, end_location=True))
    assert isinstance(renderer.markup(plain), ReplyKeyboardRemove)
    ask = Said(
        (text("Where is it? Tap «📍 Send my location» below, share a place, or type an address or coordinates."),),
        ask_location=True,
    )
    markup = renderer.markup(ask)
    assert isinstance(markup, ReplyKeyboardMarkup) and markup.keyboard[0][0].text == "📍 发送我的位置"


@pytest.mark.parametrize(
    ("token", "parsed"),
    [
        ("case:accept:17", ("accept", 17, "")),
        ("case:assign:17:DC-DS-01", ("assign", 17, "DC-DS-01")),
        ("case:reject:3", ("reject", 3, "")),
        ("case:accept:17:x", None),
        ("case:explode:17", None),
        ("case:accept:1234567890123", None),
        ("case:open:17", ("open", 17, "")),
        ("case:reassign:17", ("reassign", 17, "")),
        ("case:extend:17:4h", ("extend", 17, "4h")),
        ("case:extend:17:1d", ("extend", 17, "1d")),
        ("case:extend:17:4h:29400000", ("extend", 17, "4h:29400000")),
        ("case:extend:17:4h:", None),
        ("case:extend:17", None),
        ("case:extend:17:4x", None),
        ("case:extend:17:9999d", None),
        ("case:open:17:x", None),
        ("case:move:17:DC-DS-01", ("move", 17, "DC-DS-01")),
    ],
)
def test_case_tokens_are_parsed_strictly(token: str, parsed: tuple[str, int, str] | None) -> None:
    assert parse_case(token) == parsed


def test_a_keyboard_is_cut_at_100_buttons(renderer: Renderer, caplog: pytest.LogCaptureFixture) -> None:
    rows = tuple((Choice(Text.raw(f"{n}a"), f"x:{n}:a"), Choice(Text.raw(f"{n}b"), f"x:{n}:b")) for n in range(60))
    markup = renderer.markup(Said((Text.raw("Pick"),), rows))
    assert isinstance(markup, InlineKeyboardMarkup)
    shown = [b.text for row in markup.inline_keyboard for b in row]
    assert shown == [f"{n}{side}" for n in range(50) for side in "ab"]  # the first 100, in order
    assert "20 choices left out: a keyboard holds at most 100 buttons" in caplog.text
    fits = renderer.markup(Said((Text.raw("Pick"),), rows[:50]))
    assert isinstance(fits, InlineKeyboardMarkup) and sum(len(row) for row in fits.inline_keyboard) == 100
