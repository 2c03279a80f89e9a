"""Choices without buttons: a numbered text list, a ``msgmenu`` payload, and the user's answer back to a token.

Official Accounts have no inline keyboards. A choice is shown as ``1. label`` lines; the user answers with the
number (``1``, ``１``, ``#1``, ``第1项``, ``一``) or the item's text in either language, or clicks an item of the
``msgmenu`` message, which WeChat sends back as a text carrying ``bizmsgmenuid``. What the answer maps to is an
action token, which the server authorises like a Telegram button press.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from services.i18n import Translator

#: WeChat's msgmenu takes at most 10 items, ids of at most 64 bytes and item texts of at most 128 bytes.
MSGMENU_MAX_ITEMS = 10
MSGMENU_MAX_ID_BYTES = 64
MSGMENU_MAX_CONTENT_BYTES = 128

_CHINESE_NUMERALS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}
# "1", "#1", "No. 1", "第1项", "1号", "1." — the number and the words people put around it.
_NUMBER = re.compile(r"^(?:#|no\.?|nr\.?|第)?\s*(\d{1,3}|[一二三四五六七八九十])\s*(?:项|个|号|条)?\s*[.。、)）:：]?$")
# A line of the list copied back: "1. Exposed litter".
_NUMBERED_LINE = re.compile(r"^(\d{1,3})\s*[.。、)）:：]\s*(.+)$")


@dataclass(frozen=True)
class NumberedChoice:
    """One item: the label shown, other texts that also pick it (its label in the other language), its action token."""

    label: str
    action: str
    aliases: tuple[str, ...] = ()


def render_numbered(choices: Sequence[NumberedChoice], t: Translator, *, head: str = "") -> str:
    """``head``, then one ``n. label`` line per choice, then how to answer, in the reader's language."""
    lines = [head] if head else []
    lines += [f"{number}. {choice.label}" for number, choice in enumerate(choices, start=1)]
    lines.append(answer_hint(len(choices), t))
    return "\n".join(lines)


def answer_hint(count: int, t: Translator) -> str:
    """How to answer a list of ``count`` items."""
    if count == 1:
        return t("Reply 1 or the item's text.")
    return t("Reply with a number from 1 to {count}, or the item's text.", count=count)


def not_understood(count: int, t: Translator) -> str:
    """The answer to a reply that picks none of the ``count`` items."""
    return t("Sorry, that is not one of the choices.") + "\n" + answer_hint(count, t)


def render_msgmenu(choices: Sequence[NumberedChoice], *, head: str = "", tail: str = "") -> dict[str, Any] | None:
    """The ``msgmenu`` object of a custom-send message, or None when WeChat's limits rule one out."""
    if not choices or len(choices) > MSGMENU_MAX_ITEMS:
        return None
    items = []
    for number, choice in enumerate(choices, start=1):
        if len(choice.label.encode()) > MSGMENU_MAX_CONTENT_BYTES:
            return None
        # The token itself when it fits: a click on an older menu then still says what it meant.
        menu_id = choice.action if len(choice.action.encode()) <= MSGMENU_MAX_ID_BYTES else str(number)
        items.append({"id": menu_id, "content": choice.label})
    return {"head_content": head, "list": items, "tail_content": tail}


def parse_choice(answer: str, choices: Sequence[NumberedChoice], *, menu_id: str | None = None) -> str | None:
    """The token the user's answer picks, or None when it picks nothing (or could mean more than one item)."""
    if menu_id:
        for number, choice in enumerate(choices, start=1):
            if menu_id in (choice.action, str(number)):
                return choice.action
    text = _normalise(answer)
    if not text:
        return None
    picked = _number(text)
    if picked is not None:
        return choices[picked - 1].action if 1 <= picked <= len(choices) else None
    by_text = _match_text(text, choices)
    if by_text is not None:
        return by_text
    line = _NUMBERED_LINE.match(text)
    if line:
        # A copied line only counts when its number and its text agree.
        index = int(line.group(1))
        if 1 <= index <= len(choices) and _match_text(line.group(2), choices[index - 1 : index]):
            return choices[index - 1].action
    return None


def _normalise(text: str) -> str:
    """Full-width digits and letters to ASCII, case and runs of spaces folded."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def _number(text: str) -> int | None:
    match = _NUMBER.match(text)
    if not match:
        return None
    digits = match.group(1)
    return _CHINESE_NUMERALS[digits] if digits in _CHINESE_NUMERALS else int(digits)


def _match_text(text: str, choices: Sequence[NumberedChoice]) -> str | None:
    wanted = _normalise(text).rstrip(".。!！")
    found = {
        choice.action for choice in choices for label in (choice.label, *choice.aliases) if _normalise(label) == wanted
    }
    return found.pop() if len(found) == 1 else None
