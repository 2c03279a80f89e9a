"""Gettext catalogs (zh_CN, en): every user-facing string comes from here.

Catalogs live in ``bot/locales/<locale>/LC_MESSAGES/*.po``, one file per area of the product, and are compiled to
``.mo`` at install time (``make catalogs``). All files of a locale are merged into one translation.
"""

from __future__ import annotations

import gettext
from functools import lru_cache
from pathlib import Path

LOCALE_DIR = Path(__file__).resolve().parents[1] / "bot" / "locales"
LOCALES = ("zh_CN", "en")
DEFAULT_LOCALE = "en"


def locale_for(language_code: str | None) -> str:
    """Map a channel's language code (or a /lang choice) to one of our catalogs."""
    return "zh_CN" if (language_code or "").lower().startswith("zh") else "en"


@lru_cache(maxsize=8)
def translation(locale: str, locale_dir: Path = LOCALE_DIR) -> gettext.NullTranslations:
    """All catalogs of ``locale`` merged (compiled ``.mo`` preferred, the ``.po`` source read otherwise)."""
    merged: gettext.NullTranslations = gettext.NullTranslations()
    folder = locale_dir / locale / "LC_MESSAGES"
    for po in sorted(folder.glob("*.po")):
        mo = po.with_suffix(".mo")
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            with mo.open("rb") as fh:
                part: gettext.NullTranslations = gettext.GNUTranslations(fh)
        else:
            part = _read_po(po)
        part.add_fallback(merged)
        merged = part
    return merged


def _read_po(path: Path) -> gettext.NullTranslations:
    """Compile a .po in memory so a checkout without compiled catalogs still speaks every language."""
    import io

    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with path.open("rb") as fh:
        catalog = read_po(fh)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


class Translator:
    """The gettext functions of one locale, bound for convenient use: ``t = Translator("zh_CN"); t("Hello")``."""

    def __init__(self, locale: str) -> None:
        self.locale = locale if locale in LOCALES else DEFAULT_LOCALE
        self._t = translation(self.locale)

    def __call__(self, message: str, **values: object) -> str:
        """Translate ``message`` and fill ``{name}`` placeholders from ``values``."""
        text = self._t.gettext(message)
        return text.format(**values) if values else text

    def plural(self, singular: str, plural: str, n: int, **values: object) -> str:
        """Translate with plural forms; ``n`` is also available as ``{n}``."""
        return self._t.ngettext(singular, plural, n).format(n=n, **values)

    @property
    def is_zh(self) -> bool:
        """Whether this translator speaks Chinese."""
        return self.locale == "zh_CN"


def N_(message: str) -> str:
    """Mark ``message`` for extraction without translating it now."""
    return message
