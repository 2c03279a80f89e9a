"""The demo's emoji font draws every emoji the bot and the web chat write, and carries its licence."""

from __future__ import annotations

from fontTools.ttLib import TTFont

from bot.demo_assets.make_emoji_font import FONT, emoji_in, used_emoji


def test_every_emoji_in_the_messages_is_in_the_shipped_font() -> None:
    drawn = set(TTFont(FONT).getBestCmap())
    used = used_emoji()
    assert {"📷", "📍", "✅", "🔔", "⚠", "↪"} <= used
    missing = sorted(char for char in used if ord(char) not in drawn)
    assert missing == [], f"run `python -m bot.demo_assets.make_emoji_font` to add {missing}"
    assert (FONT.parent / "OFL.txt").read_text(encoding="utf-8").count("SIL OPEN FONT LICENSE Version 1.1") == 1


def test_emoji_are_told_from_text_symbols() -> None:
    assert emoji_in("⚠️ Case → #3 ✓ 城市 ↪️ 📷") == {"⚠", "↪", "📷"}
