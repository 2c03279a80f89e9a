"""A number no row can have (past the 32-bit id columns) is refused where it is read: typed case numbers and
picked tokens alike, so PostgreSQL is never asked about it."""

from __future__ import annotations

from services.conversation.supervisor import case_number
from services.conversation.tokens import parse_case, parse_draft, parse_my_case
from services.ids import MAX_ID, row_id


def test_ids_within_the_columns_are_read_and_larger_ones_refused() -> None:
    assert row_id("17") == 17 and row_id(str(MAX_ID)) == MAX_ID
    assert row_id(str(MAX_ID + 1)) is None and row_id("999999999999") is None
    assert row_id("¹7") is None and row_id("") is None


def test_typed_case_numbers_and_tokens_past_the_columns_name_no_case() -> None:
    assert case_number("#12") == 12
    assert case_number("999999999999") is None and case_number("99999999999") is None
    assert parse_case("case:accept:17") == ("accept", 17, "")
    assert parse_case("case:accept:99999999999") is None
    assert parse_case("case:assign:99999999999:G-1") is None
    assert parse_case("case:extend:99999999999:4h") is None
    assert parse_draft("draft:cat:99999999999:0201") is None
    assert parse_my_case("my:case:99999999999") is None
