"""Telegram's limits, counted as Telegram counts them (UTF-16 code units, bytes for callback data)."""

from __future__ import annotations

from services.photo_fit import PhotoLimits

MAX_TEXT = 4096  # a message's text
MAX_CAPTION = 1024  # a photo's caption
MAX_CALLBACK_BYTES = 64  # a button's callback data
MAX_ANSWER = 200  # the toast or alert answering a press
MAX_BUTTONS = 100  # an inline keyboard's buttons ("reply markup is too long" past it)
#: An uploaded photo: at most 10 MB (10 × 1024 × 1024 bytes), width + height at most 10,000, sides at most 20:1.
MAX_PHOTO_BYTES = 10 * 1024 * 1024
MAX_PHOTO_SIDE_SUM = 10_000
MAX_PHOTO_RATIO = 20
PHOTO_LIMITS = PhotoLimits(MAX_PHOTO_BYTES, MAX_PHOTO_SIDE_SUM, MAX_PHOTO_RATIO)


def utf16_length(text: str) -> int:
    """Length as Telegram counts it (UTF-16 code units: an emoji outside the BMP counts twice)."""
    return len(text.encode("utf-16-le")) // 2


def cut(text: str, limit: int, mark: str = "…") -> str:
    """``text`` shortened to ``limit`` UTF-16 units, ending with ``mark`` when it was cut."""
    if utf16_length(text) <= limit:
        return text
    room = limit - utf16_length(mark)
    kept, used = [], 0
    for char in text:
        size = utf16_length(char)
        if used + size > room:
            break
        kept.append(char)
        used += size
    return "".join(kept) + mark


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """``text`` in parts of at most ``limit`` UTF-16 units, broken at line ends where possible."""
    parts: list[str] = []
    current = ""
    for line in text.split("\n"):
        candidate = f"{current}\n{line}" if current else line
        if utf16_length(candidate) <= limit:
            current = candidate
            continue
        if current:
            parts.append(current)
        while utf16_length(line) > limit:  # one line longer than a message: hard cut
            head = cut(line, limit, mark="")
            parts.append(head)
            line = line[len(head) :]
        current = line
    if current or not parts:
        parts.append(current)
    return [p for p in parts if p] or ([""] if not text else parts)
