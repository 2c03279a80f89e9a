"""Action tokens: what a choice carries and the core parses back (``draft:cat:12:0201``, ``case:accept:17``).

A token names an action and its object; it grants nothing. Whoever picks it is checked again against the
database (role, ownership, current state), so a stale, repeated or forged token changes nothing.
"""

from __future__ import annotations

import re
from datetime import datetime

from services.ids import row_id

#: A token must fit every channel's choices; the tightest limit among them is 64 bytes (a button's data on one
#: messenger), so tokens that could grow longer (an area's id) are shortened by their builder.
MAX_BYTES = 64

_CASE = re.compile(r"case:(accept|resolve|return|fixed|notfixed|sendback|reject|open|reassign):([0-9]{1,12})")
_ASSIGN = re.compile(r"case:(assign|move):([0-9]{1,12}):(.+)", re.DOTALL)
_EXTEND = re.compile(r"case:extend:([0-9]{1,12}):([0-9]{1,3}[hd])(?::([0-9]{1,12}))?")
_DRAFT = re.compile(r"draft:([^:]*):([0-9]{1,12})(?::([^:]*))?")
_MY_CASE = re.compile(r"my:case:([0-9]{1,12})")


def draft(action: str, draft_id: int, argument: str = "") -> str:
    """``draft:<action>:<draft id>[:<argument>]``."""
    return f"draft:{action}:{draft_id}:{argument}" if argument else f"draft:{action}:{draft_id}"


def case(action: str, case_id: int) -> str:
    """``case:<action>:<case id>``."""
    return f"case:{action}:{case_id}"


def extend(case_id: int, amount: str, seen_due: int | None = None) -> str:
    """``case:extend:<case id>:<amount>[:<deadline seen>]`` (an amount such as ``4h`` or ``1d``; the deadline the
    choice was offered under, in minutes since the epoch, so a second press of the same choice extends nothing)."""
    token = f"case:extend:{case_id}:{amount}"
    return f"{token}:{seen_due}" if seen_due is not None else token


def due_stamp(due: datetime | None) -> int | None:
    """A deadline as an extend token carries it: whole minutes since the epoch."""
    return int(due.timestamp()) // 60 if due is not None else None


def my_case(case_id: int) -> str:
    """The history of one of the reporter's cases."""
    return f"my:case:{case_id}"


def parse_draft(token: str) -> tuple[str, int, str] | None:
    """(action, draft id, argument) of a draft token, or None when it is not one."""
    found = _DRAFT.fullmatch(token)
    draft_id = row_id(found[2]) if found else None
    return (found[1], draft_id, found[3] or "") if found and draft_id is not None else None


def parse_case(token: str) -> tuple[str, int, str] | None:
    """(action, case id, argument) of a case token, or None: the argument is the unit id for ``assign`` (placing a
    case that waits for it) and ``move`` (moving one a unit is handling), the amount for ``extend``, empty for the
    others."""
    parsed = None
    if found := _ASSIGN.fullmatch(token):
        parsed = found[1], found[2], found[3]
    elif found := _EXTEND.fullmatch(token):
        parsed = "extend", found[1], f"{found[2]}:{found[3]}" if found[3] else found[2]
    elif found := _CASE.fullmatch(token):
        parsed = found[1], found[2], ""
    case_id = row_id(parsed[1]) if parsed else None
    return (parsed[0], case_id, parsed[2]) if parsed and case_id is not None else None


def parse_my_case(token: str) -> int | None:
    """The case id of a history token, or None."""
    found = _MY_CASE.fullmatch(token)
    return row_id(found[1]) if found else None
