"""Cut the demo's emoji font (``python -m bot.demo_assets.make_emoji_font``); the result is committed beside it.

The web chat must show the bot's emoji (📷 📍 ✅ 🔔 ...) on a machine without an emoji font, and so must the README's
screenshot. The font is Noto Color Emoji (SIL Open Font License 1.1, see fonts/OFL.txt), as Debian's
``fonts-noto-color-emoji`` installs it, cut down to the emoji that the bot's catalogs, its code and the web chat
use: a few hundred kilobytes instead of ten megabytes. Run this again after adding an emoji to a message; the test
``tests/unit/test_demo_emoji_font.py`` says when it is needed.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from pathlib import Path

HERE = Path(__file__).parent
ROOT = HERE.parents[1]
FONT = HERE / "fonts" / "demo-emoji.ttf"
SOURCE = Path("/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf")
#: Where the texts people see are written: catalogs, the code that writes messages, the web chat.
SCANNED = ("bot/locales", "services", "channels", "bot", "sandbox/web")
SUFFIXES = (".po", ".py", ".js", ".html", ".css")
#: Emoji a message may well use next (ranks, votes, alarms, places...), cut in ahead so a new message rarely needs a
#: new cut; a few kilobytes each.
LIKELY = (
    "❌❗❓✔✏⭐⌛⏱⏸▶◀⬅➡⬆⬇🔁🔄🔍🔒🔓🔗🔴🟠🟡🟢🔵🟣⚫⚪📊📈📉📅📆📌📝"
    "📢📣📤📥📦🗂🗑🗺🏆🥇🥈🥉👍👎👋🙏👀💬🕒🚫🚧🚗🚲🛵🧹🚮🏗🌳💡🙂😊"
)
#: Joiners and selectors that emoji sequences are made of (⚠️ is U+26A0 U+FE0F).
JOINERS = (0x200D, 0xFE0E, 0xFE0F, 0x20E3)


#: Blocks whose characters are drawn as emoji (pictographs, dingbats, technical symbols such as ⏰).
EMOJI_BLOCKS = ((0x2300, 0x23FF), (0x2600, 0x27BF), (0x2B00, 0x2BFF), (0x1F000, 0x1FAFF))
#: Symbols of those blocks that have no emoji form: ordinary fonts draw them (the web chat's ✓ tick).
TEXT_SYMBOLS = frozenset("✓")


def emoji_in(text: str) -> set[str]:
    """The emoji of ``text``: characters of the emoji blocks, and any character followed by U+FE0F (↪️)."""
    found = {char for char in text if any(low <= ord(char) <= high for low, high in EMOJI_BLOCKS)}
    found |= {text[i - 1] for i in range(1, len(text)) if text[i] == "\ufe0f"}
    return found - TEXT_SYMBOLS


def used_emoji(root: Path = ROOT, folders: Iterable[str] = SCANNED) -> set[str]:
    """Every emoji in the scanned texts."""
    found: set[str] = set()
    for folder in folders:
        for path in (root / folder).rglob("*"):
            if path.suffix in SUFFIXES and path.is_file():
                found |= emoji_in(path.read_text(encoding="utf-8"))
    return found


def font_codes(path: Path) -> set[int]:
    """The code points a font draws."""
    from fontTools.ttLib import TTFont

    return set(TTFont(path).getBestCmap())


def main() -> int:
    from fontTools import subset

    if not SOURCE.is_file():
        print(f"{SOURCE} is missing: apt-get install fonts-noto-color-emoji", file=sys.stderr)
        return 1
    cmap = font_codes(SOURCE)
    codes = sorted(({ord(char) for char in used_emoji() | set(LIKELY)} | set(JOINERS)) & cmap)
    options = subset.Options()
    options.layout_features = ["*"]  # keep the sequences (keycaps, variation selectors)
    options.name_IDs = ["*"]
    options.notdef_outline = True
    font = subset.load_font(str(SOURCE), options)
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=codes)
    subsetter.subset(font)
    FONT.parent.mkdir(exist_ok=True)
    subset.save_font(font, str(FONT), options)
    print(f"{FONT.relative_to(ROOT)}: {len(codes)} code points, {FONT.stat().st_size // 1024} KB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
