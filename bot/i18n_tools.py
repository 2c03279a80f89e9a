"""Catalog tools: ``python -m bot.i18n_tools compile|check``."""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from services.i18n import LOCALE_DIR

ROOT = Path(__file__).resolve().parents[1]
SOURCE_DIRS = ("bot", "channels", "services", "scheduler", "sandbox")
KEYWORDS = {"t": None, "_": None, "N_": None, "gettext": None, "plural": (1, 2), "ngettext": (1, 2)}
#: ``services.messages`` helpers that take a message id (``text("Hello {name}", ...)``, ``msg("closed")``); only the
#: core and the channels use them, and the sandbox has a ``.text()`` of its own.
MESSAGE_KEYWORDS = {"text": None, "msg": None}
MESSAGE_DIRS = ("channels", "services")


def compile_catalogs(locale_dir: Path = LOCALE_DIR) -> int:
    """Compile every ``.po`` under ``locale_dir`` to ``.mo``; return how many were written."""
    count = 0
    for po in sorted(locale_dir.glob("*/LC_MESSAGES/*.po")):
        with po.open("rb") as fh:
            catalog = read_po(fh)
        with po.with_suffix(".mo").open("wb") as out:
            write_mo(out, catalog)
        count += 1
    return count


def used_messages() -> set[str]:
    """Every message id marked for translation in the source tree."""
    found: set[str] = set()
    passes = [(folder, KEYWORDS) for folder in SOURCE_DIRS] + [(folder, MESSAGE_KEYWORDS) for folder in MESSAGE_DIRS]
    for folder, keywords in passes:
        method_map = [("**.py", "python")]
        for _file, _line, message, _comments, _ctx in extract_from_dir(
            ROOT / folder, method_map, keywords=keywords, strip_comment_tags=True
        ):
            found.add(message[0] if isinstance(message, tuple) else message)
    return found


def translated_messages(locale: str, locale_dir: Path = LOCALE_DIR) -> set[str]:
    """Message ids that have a non-empty translation in ``locale``."""
    done: set[str] = set()
    for po in sorted((locale_dir / locale / "LC_MESSAGES").glob("*.po")):
        with po.open("rb") as fh:
            for message in read_po(fh):
                strings = list(message.string) if isinstance(message.string, (tuple, list)) else [message.string]
                if message.id and all(strings):
                    done.add(str(message.id[0] if isinstance(message.id, (tuple, list)) else message.id))
    return done


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "compile"
    if command == "compile":
        print(f"compiled {compile_catalogs()} catalogs")
        return 0
    if command == "check":
        missing = sorted(used_messages() - translated_messages("zh_CN"))
        for message in missing:
            print(f"untranslated (zh_CN): {message!r}")
        return 1 if missing else 0
    print("usage: python -m bot.i18n_tools compile|check", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
