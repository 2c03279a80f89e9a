"""Long lists in pages: /tasks, /queue and /my show ``PAGE`` entries at a time with Previous / Next choices.

A page choice (``page:<list>:<n>``) grants nothing: the list is read again for whoever picks it, with the same
checks as its command, so a stale or forged page shows that person's own list (or the command's refusal).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

from services.conversation.replies import Choices
from services.messages import Choice, Text, text

PAGE = 10
#: The longest place shown in one line of a list (the whole address is in the case's own view).
PLACE_MAX = 60
LISTS = ("tasks", "queue", "my")
_TOKEN = re.compile(r"page:(tasks|queue|my):([0-9]{1,6})")

T = TypeVar("T")


@dataclass(frozen=True)
class Page:
    """One page of a list: its entries, its number (from 1), how many pages and entries there are."""

    number: int
    pages: int
    total: int
    start: int  # the index of its first entry in the whole list


def token(name: str, number: int) -> str:
    """The choice that turns ``name``'s list to page ``number``."""
    return f"page:{name}:{number}"


def parse(found: str) -> tuple[str, int] | None:
    """(list, page number) of a page token, or None when it is not one."""
    match = _TOKEN.fullmatch(found)
    return (match[1], int(match[2])) if match else None


def page_of(total: int, number: int) -> Page:
    """Page ``number`` of a list of ``total`` entries (a number past the end shows the last page)."""
    pages = max(1, -(-total // PAGE))
    number = min(max(number, 1), pages)
    return Page(number, pages, total, (number - 1) * PAGE)


def cut_out(items: Sequence[T], page: Page) -> list[T]:
    """The entries of ``items`` on ``page``."""
    return list(items[page.start : page.start + PAGE])


def footer(page: Page) -> tuple[Text, ...]:
    """The "Page 2 of 5" line under a list that has more than one page."""
    if page.pages == 1:
        return ()
    return (
        Text.raw(""),
        text("Page {page} of {pages} ({total} in all).", page=page.number, pages=page.pages, total=page.total),
    )


def navigation(name: str, page: Page) -> Choices:
    """Previous / Next choices for a list with more than one page."""
    row = []
    if page.number > 1:
        row.append(Choice(text("◀ Previous"), token(name, page.number - 1)))
    if page.number < page.pages:
        row.append(Choice(text("Next ▶"), token(name, page.number + 1)))
    return (tuple(row),) if row else ()


def short_place(place: str) -> str:
    """A place cut to ``PLACE_MAX`` characters for a line of a list."""
    return place if len(place) <= PLACE_MAX else place[: PLACE_MAX - 1] + "…"
