"""What officers and reporters read about a case, without I/O: summaries, buttons, refusals, argument parsing."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from PIL import Image as PILImage
from telegram import Bot, Document, Message, PhotoSize, User

from channels.telegram.parse import message_event
from models.cases import Case
from models.status import CaseStatus
from services.cases import NOT_NOW, CaseActionError, ProofPhoto
from services.cases.access import on_time
from services.clock import ManualClock
from services.config import load_config
from services.context import Services
from services.conversation.questions import proof_photo
from services.conversation.supervisor import case_number
from services.i18n import Translator
from services.notify import case_summary, officer_choices


@pytest.fixture
def svc(tmp_path: Path) -> Services:
    clock = ManualClock(datetime(2026, 11, 16, 2, tzinfo=UTC))
    return Services.build(None, load_config(), clock, "Asia/Shanghai", tmp_path)  # type: ignore[arg-type]


def a_case(**values: object) -> Case:
    fields: dict[str, object] = {
        "id": 12,
        "category": "0505",
        "lat": 39.912345,
        "lon": 116.398765,
        "status": CaseStatus.DISPATCHED,
        "due_at": datetime(2026, 11, 16, 4, 0, tzinfo=UTC),
    }
    return Case(**(fields | values))


def test_summary_shows_category_place_and_local_deadline_in_the_readers_language(svc: Services) -> None:
    zh = case_summary(svc, a_case(address="东四北大街 1号"), Translator("zh_CN"))
    assert zh.splitlines() == ["案件 #12：机动车乱停放", "地点：东四北大街 1号", "处置时限：2026-11-16 12:00"]
    en = case_summary(svc, a_case(note="blocking the fire exit"), Translator("en"))
    assert en.splitlines() == [
        "Case #12: Illegal parking (motor vehicles)",
        "Place: 39.91235, 116.39876",
        "Deadline: 2026-11-16 12:00",
        "Note: blocking the fire exit",
    ]


def test_an_accepted_case_has_no_accept_choice_and_tokens_fit_telegrams_limit() -> None:
    case = a_case(id=999_999_999_999)
    fresh = [c for row in officer_choices(case) for c in row]
    mine = [c for row in officer_choices(case, accepted=True) for c in row]
    assert [c.label.msgid for c in fresh] == ["Accept", "Resolve", "Return"]
    assert [c.label.msgid for c in mine] == ["Resolve", "Return"]
    assert all(len(c.action.encode()) <= 64 for c in fresh)


def test_a_refusal_names_the_status_in_the_readers_language() -> None:
    err = CaseActionError(NOT_NOW, number="#3", status=CaseStatus.CLOSED)
    assert err.render(Translator("en")) == "Case #3 is closed and cannot be changed now."
    assert err.render(Translator("zh_CN")) == "案件 #3 当前状态为“已结案”，现在无法进行此操作。"


def test_on_time_means_done_by_the_deadline() -> None:
    case = a_case()
    assert on_time(case, datetime(2026, 11, 16, 4, 0, tzinfo=UTC)) is True
    assert on_time(case, datetime(2026, 11, 16, 4, 1, tzinfo=UTC)) is False
    assert on_time(a_case(due_at=None), datetime(2026, 11, 16, tzinfo=UTC)) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [("12", 12), ("#12", 12), (" #7 ", 7), ("abc", None), ("-3", None), ("¹", None), ("#1²", None), ("١٢", None)],
)
def test_case_numbers_are_read_with_or_without_the_hash(text: str, expected: int | None) -> None:
    assert case_number(text) == expected


def _message(**values: object) -> Message:
    sender = User(1, "Wang", False)
    return Message(1, datetime(2026, 11, 16, tzinfo=UTC), chat=None, from_user=sender, **values)  # type: ignore[arg-type]


async def test_the_proof_is_the_largest_photo_size_or_an_image_file_kept_as_a_copy(svc: Services) -> None:
    turn: Any = SimpleNamespace(services=svc, sender=SimpleNamespace(identity=SimpleNamespace(channel="telegram")))

    async def proof(message: Message, data: bytes | None = None) -> ProofPhoto | None:
        return await proof_photo(turn, message_event(message, Bot("1:offline")), data)

    sizes = (PhotoSize("small", "s", 90, 90), PhotoSize("big", "b", 1280, 960, file_size=200_000))
    assert await proof(_message(photo=sizes)) == ProofPhoto("big", "b", 1280, 960, 200_000, channel="telegram")
    picture = io.BytesIO()
    PILImage.new("RGB", (40, 30)).save(picture, "PNG")
    image = Document("doc", "d", mime_type="image/jpeg", file_size=5)
    kept = await proof(_message(document=image), picture.getvalue())
    assert kept is not None and kept.file_id == "doc" and kept.channel is None
    assert (kept.width, kept.height) == (40, 30) and kept.local_path is not None
    assert (svc.data_dir / kept.local_path).read_bytes() == picture.getvalue()
    assert await proof(_message(document=image), b"not an image") is None
    assert await proof(_message(document=image)) is None  # the bytes could not be read
    assert await proof(_message(document=Document("pdf", "p", mime_type="application/pdf")), b"%PDF") is None
    assert await proof(_message(text="done")) is None
