"""Turn formatted text into what the user sees, rejecting markup Telegram would reject."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from sandbox.errors import JSON, bad_request

_HTML_ENTITY = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "span": "spoiler",
    "tg-spoiler": "spoiler",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
_RAW_LT = re.compile(r"<(?!/?[a-zA-Z])")
_COMMAND = re.compile(r"^/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,})?")
#: A /command anywhere in a text, as Telegram's servers find them: not inside a word or a path.
#: (ASCII word characters only: in "用/cancel取消" the command stands between Chinese words.)
_ANY_COMMAND = re.compile(r"(?<![A-Za-z0-9_/])/[A-Za-z][A-Za-z0-9_]{0,31}(?:@[A-Za-z0-9_]{3,32})?(?![A-Za-z0-9_/@])")
_NO_COMMANDS_INSIDE = frozenset({"code", "pre", "text_link", "url", "bot_command"})
_MDV2_RESERVED = set("_*[]()~`>#+-=|{}.!")


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit of Telegram's entity offsets."""
    return len(text.encode("utf-16-le")) // 2


def parse_formatted(text: str, parse_mode: str | None) -> tuple[str, list[JSON]]:
    """Plain text and entities for `text` under `parse_mode`, or Telegram's 400 for broken markup."""
    mode = (parse_mode or "").lower()
    if mode == "html":
        return _parse_html(text)
    if mode == "markdownv2":
        return _strip_markdown_v2(text), []
    if mode == "markdown":
        return re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text).replace("*", "").replace("_", "").replace("`", ""), []
    if mode:
        raise bad_request(f"unsupported parse_mode {parse_mode}")
    return text, []


def command_entities(text: str) -> list[JSON]:
    """The bot_command entity a Telegram client adds to a message starting with /command."""
    match = _COMMAND.match(text)
    if not match:
        return []
    return [{"type": "bot_command", "offset": 0, "length": utf16_len(match.group(0))}]


def with_detected_commands(text: str, entities: list[JSON]) -> list[JSON]:
    """``entities`` plus a ``bot_command`` entity for every /command in ``text`` outside code and links, as
    Telegram adds them to any message (a client shows them as links that send the command)."""
    taken = [
        (int(e["offset"]), int(e["offset"]) + int(e["length"]))
        for e in entities
        if e.get("type") in _NO_COMMANDS_INSIDE
    ]
    found: list[JSON] = []
    for match in _ANY_COMMAND.finditer(text):
        offset = utf16_len(text[: match.start()])
        length = utf16_len(match.group(0))
        if any(start < offset + length and offset < stop for start, stop in taken):
            continue
        found.append({"type": "bot_command", "offset": offset, "length": length})
    if not found:
        return entities
    return sorted([*entities, *found], key=lambda e: (int(e["offset"]), -int(e["length"])))


class _HtmlReader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.entities: list[JSON] = []
        self._open: list[tuple[str, int, JSON]] = []
        self._offset = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in _HTML_ENTITY:
            raise bad_request(f'can\'t parse entities: Unsupported start tag "{tag}" at byte offset {self._offset}')
        entity: JSON = {"type": _HTML_ENTITY[tag]}
        href = dict(attrs).get("href")
        if tag == "a" and href:
            entity["url"] = href
        self._open.append((tag, self._offset, entity))

    def handle_endtag(self, tag: str) -> None:
        if not self._open or self._open[-1][0] != tag:
            raise bad_request(f'can\'t parse entities: Unexpected end tag "{tag}" at byte offset {self._offset}')
        _, start, entity = self._open.pop()
        if self._offset > start:
            self.entities.append({**entity, "offset": start, "length": self._offset - start})

    def handle_data(self, data: str) -> None:
        self.parts.append(data)
        self._offset += utf16_len(data)


def _parse_html(text: str) -> tuple[str, list[JSON]]:
    stray = _RAW_LT.search(text)
    if stray:
        raise bad_request(f"can't parse entities: Unexpected character '<' at byte offset {stray.start()}")
    reader = _HtmlReader()
    reader.feed(text)
    reader.close()
    if reader._open:
        tag = reader._open[-1][0]
        raise bad_request(f"can't parse entities: Can't find end tag corresponding to start tag \"{tag}\"")
    return "".join(reader.parts), sorted(reader.entities, key=lambda e: e["offset"])


def _strip_markdown_v2(text: str) -> str:
    """Drop MarkdownV2 markers; an unescaped reserved character is an error, as on Telegram."""
    out: list[str] = []
    index = 0
    in_code = False
    while index < len(text):
        char = text[index]
        if char == "\\" and index + 1 < len(text):
            out.append(text[index + 1])
            index += 2
            continue
        if char == "`":
            in_code = not in_code
        elif in_code:
            out.append(char)
        elif char == "]" and text.startswith("](", index):
            index = text.find(")", index)
            if index < 0:
                raise bad_request("can't parse entities: Can't find end of a URL")
        elif char in "*_~|[":
            pass
        elif char in _MDV2_RESERVED:
            reason = f"Character '{char}' is reserved and must be escaped with the preceding '\\'"
            raise bad_request(f"can't parse entities: {reason}")
        else:
            out.append(char)
        index += 1
    return "".join(out)
