"""What the user sees of formatted text, and the markup Telegram refuses."""

from __future__ import annotations

import pytest

from sandbox.errors import ApiError
from sandbox.markup import command_entities, parse_formatted


def test_html_is_shown_as_plain_text_with_entities() -> None:
    text, entities = parse_formatted('Case <b>#12</b> at <a href="https://x.test/1">map</a> &lt;ok&gt;', "HTML")
    assert text == "Case #12 at map <ok>"
    assert {"type": "bold", "offset": 5, "length": 3} in entities
    assert {"type": "text_link", "url": "https://x.test/1", "offset": 12, "length": 3} in entities


def test_entity_offsets_count_utf16_units() -> None:
    _, entities = parse_formatted("📷 <i>照片</i>", "HTML")
    assert entities == [{"type": "italic", "offset": 3, "length": 2}]


@pytest.mark.parametrize(
    "broken",
    ["a < b", "<b>unclosed", "<div>x</div>", "<b><i>x</b></i>"],
)
def test_broken_html_is_refused_like_telegram(broken: str) -> None:
    with pytest.raises(ApiError) as refused:
        parse_formatted(broken, "HTML")
    assert refused.value.code == 400
    assert refused.value.description.startswith("Bad Request: can't parse entities")


def test_markdown_v2_requires_escaping_reserved_characters() -> None:
    assert parse_formatted(r"*Case* 12\. done\!", "MarkdownV2") == ("Case 12. done!", [])
    with pytest.raises(ApiError, match="reserved"):
        parse_formatted("Case 12. done", "MarkdownV2")


def test_plain_text_is_untouched() -> None:
    assert parse_formatted("a < b & c", None) == ("a < b & c", [])


def test_a_leading_command_gets_a_bot_command_entity() -> None:
    assert command_entities("/start ref_42") == [{"type": "bot_command", "offset": 0, "length": 6}]
    assert command_entities("/report@city_bot") == [{"type": "bot_command", "offset": 0, "length": 16}]
    assert command_entities("not /a command") == []


def test_commands_anywhere_in_a_bot_message_become_bot_command_entities() -> None:
    from sandbox.markup import with_detected_commands

    text = "📷 Send /skip to go on, or /case 75 (see /help@citybot_bot). Not a/path, nor https://x.test/help"
    found = [e for e in with_detected_commands(text, []) if e["type"] == "bot_command"]
    commands = [
        text.encode("utf-16-le")[2 * e["offset"] : 2 * (e["offset"] + e["length"])].decode("utf-16-le") for e in found
    ]
    assert commands == ["/skip", "/case", "/help@citybot_bot"]
    assert found[0]["offset"] == 8  # the camera emoji counts two UTF-16 units
    assert len(with_detected_commands("发送/cancel取消", [])) == 1


def test_no_command_entity_inside_code_or_links() -> None:
    from sandbox.markup import with_detected_commands

    text, entities = parse_formatted(
        'Type <code>/extend 1 4h</code> or <a href="https://x.test">/help</a>, or /my', "HTML"
    )
    found = [e for e in with_detected_commands(text, entities) if e["type"] == "bot_command"]
    assert found == [{"type": "bot_command", "offset": text.index("/my"), "length": 3}]
