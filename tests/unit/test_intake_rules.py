"""The report flow's rules without I/O: which step comes next, notes, places, categories, uploads, button data."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from models.cases import DraftStep, Photo, ReportDraft
from models.db import Database
from services.clock import ManualClock
from services.config import load_config
from services.context import Services
from services.conversation.report_views import place_text
from services.conversation.tokens import parse_draft as parse
from services.intake import BAD_LOCATION, next_step, set_category, set_location, set_note, skip_note
from services.intake_limits import IntakeRefused
from services.photos import UploadProblem, check_upload, suffix_for

NOW = datetime(2026, 11, 16, 2, 0, tzinfo=UTC)


@pytest.fixture
def services(tmp_path: Path) -> Iterator[Services]:
    """Services whose database is never opened."""
    yield Services.build(Database("sqlite+aiosqlite://"), load_config(), ManualClock(NOW), "Asia/Shanghai", tmp_path)


def draft(**fields: object) -> ReportDraft:
    """A draft in memory."""
    values: dict[str, object] = {"photos": [], "created_at": NOW, "updated_at": NOW} | fields
    return ReportDraft(**values)


def photo() -> Photo:
    return Photo(file_id="f", created_at=NOW)


def test_the_next_step_is_the_first_thing_missing() -> None:
    assert next_step(draft()) is DraftStep.PHOTOS
    assert next_step(draft(lat=39.9, lon=116.4, category="0201")) is DraftStep.PHOTOS  # a photo is never optional
    assert next_step(draft(photos=[photo()])) is DraftStep.CATEGORY
    assert next_step(draft(photos=[photo()], category="0201")) is DraftStep.LOCATION
    assert next_step(draft(photos=[photo()], category="0201", lat=39.9, lon=116.4)) is DraftStep.NOTE
    assert next_step(draft(photos=[photo()], category="0201", lat=39.9, lon=116.4, note="")) is DraftStep.CONFIRM


def test_a_long_note_is_cut_and_reported(services: Services) -> None:
    services.config.reporting.note_max_chars = 10
    d = draft(photos=[photo()], category="0201", lat=39.9, lon=116.4)
    assert set_note(services, d, "  short  ") is False and d.note == "short"
    assert set_note(services, d, "0123456789ABC") is True and d.note == "0123456789"
    assert d.step is DraftStep.CONFIRM


def test_skipping_the_note_answers_it(services: Services) -> None:
    d = draft(photos=[photo()], category="0201", lat=39.9, lon=116.4)
    skip_note(services, d)
    assert d.note == "" and d.step is DraftStep.CONFIRM


@pytest.mark.parametrize("where", [(0.0, 0.0), (91.0, 10.0), (-91.0, 10.0), (10.0, 181.0), (float("nan"), 1.0)])
def test_impossible_coordinates_are_refused_and_keep_the_old_place(
    services: Services, where: tuple[float, float]
) -> None:
    d = draft(lat=39.9, lon=116.4, address="old")
    with pytest.raises(IntakeRefused) as refused:
        set_location(services, d, *where, address="new", source="location")
    assert refused.value.message == BAD_LOCATION
    assert (d.lat, d.lon, d.address) == (39.9, 116.4, "old")


def test_a_place_keeps_a_trimmed_address(services: Services) -> None:
    d = draft()
    set_location(services, d, -33.86, 151.2, address="  " + "a" * 400, source="venue")
    assert (d.lat, d.lon, d.location_source) == (-33.86, 151.2, "venue")
    assert d.address == "a" * 300


def test_only_categories_of_the_catalog_are_accepted(services: Services) -> None:
    d = draft(photos=[photo()])
    with pytest.raises(IntakeRefused):
        set_category(services, d, "0999")
    assert d.category is None
    set_category(services, d, "0505")
    assert d.category == "0505" and d.step is DraftStep.LOCATION


@pytest.mark.parametrize(
    ("mime", "size", "problem"),
    [
        ("image/jpeg", 1000, None),
        ("image/png", None, None),
        ("IMAGE/HEIC", 1000, None),
        ("application/pdf", 1000, UploadProblem.NOT_IMAGE),
        (None, 1000, UploadProblem.NOT_IMAGE),
        ("image/svg+xml", 10, UploadProblem.NOT_IMAGE),
        ("image/jpeg", 10 * 1024 * 1024 + 1, UploadProblem.TOO_BIG),
        ("image/jpeg", 10 * 1024 * 1024, None),
    ],
)
def test_uploads_must_be_images_within_the_size_limit(
    services: Services, mime: str | None, size: int | None, problem: UploadProblem | None
) -> None:
    assert check_upload(services, mime, size) is problem


def test_copies_are_named_after_their_image_type() -> None:
    assert (suffix_for("image/png"), suffix_for(None), suffix_for("image/x-unknown")) == (".png", ".jpg", ".img")


@pytest.mark.parametrize(
    ("data", "parsed"),
    [
        ("draft:cat:12:0201", ("cat", 12, "0201")),
        ("draft:submit:7", ("submit", 7, "")),
        ("draft:submit:x", None),
        ("draft:submit", None),
        ("case:accept:7", None),
        ("draft:cat:1:2:3", None),
    ],
)
def test_button_data_is_parsed_strictly(data: str, parsed: tuple[str, int, str] | None) -> None:
    assert parse(data) == parsed


def test_places_show_the_address_with_coordinates() -> None:
    assert place_text(39.91, 116.4, None) == "39.91000, 116.40000"
    assert place_text(39.91, 116.4, "天安门") == "天安门 (39.91000, 116.40000)"
    assert place_text(None, None, None) == "—"
