"""Row ids typed or picked by people: a number no row can have is refused where it is read, not by the database."""

from __future__ import annotations

#: The largest id the id columns hold (32-bit integers on PostgreSQL): a bigger number names no row.
MAX_ID = 2**31 - 1


def row_id(digits: str) -> int | None:
    """``digits`` (ASCII digits only) as a row id, or None when it cannot name a row."""
    if not (digits.isascii() and digits.isdigit()) or len(digits) > len(str(MAX_ID)):
        return None
    value = int(digits)
    return value if value <= MAX_ID else None
