"""The citizen's report flow through the sandbox, in Chinese and English: photo → category → place → note → submit."""

from __future__ import annotations

import io
from itertools import count
from typing import Any

from PIL import ExifTags, Image
from sqlalchemy import select

from models.cases import Case, Photo
from models.grid import Place
from models.status import CaseStatus
from models.uow import UnitOfWork
from sandbox.client import SandboxClient
from sandbox.views import ChatMessage, SandboxUser
from services import routing
from tests.e2e.conftest import RunningBot
from tests.world import INSIDE, make_grid

NEARBY = (39.9101, 116.4001)  # about 14 m away
OUTSIDE = (39.9400, 116.4000)  # no grid covers it, about 2 km north of G-1: near the city
TIANANMEN = (39.9087, 116.3975)
_colours = count(1)


def jpeg(gps: tuple[float, float] | None = None, side: int = 320) -> bytes:
    """A distinct JPEG each call (so Telegram gives it its own file id), optionally with GPS EXIF."""
    shade = next(_colours)
    image = Image.new("RGB", (side, side), ((shade * 37) % 256, (shade * 91) % 256, (shade * 53) % 256))
    exif = Image.Exif()
    if gps is not None:
        lat, lon = gps
        exif[ExifTags.IFD.GPSInfo] = {
            ExifTags.GPS.GPSLatitudeRef: "N" if lat >= 0 else "S",
            ExifTags.GPS.GPSLatitude: (abs(lat), 0.0, 0.0),
            ExifTags.GPS.GPSLongitudeRef: "E" if lon >= 0 else "W",
            ExifTags.GPS.GPSLongitude: (abs(lon), 0.0, 0.0),
        }
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


async def seed_city(bot: RunningBot) -> None:
    """Grid G-1 under community C-1 with one officer, and a named place the offline geocoder knows."""
    services = bot.services
    assert services is not None
    await make_grid(services)
    async with UnitOfWork(services.db) as uow:
        uow.session.add(Place(name="天安门", aliases="Tiananmen|Tian'anmen", lat=TIANANMEN[0], lon=TIANANMEN[1]))
        await uow.commit()
    await routing.load_grid_index(services)


async def cases(bot: RunningBot) -> list[Case]:
    """Every case, oldest first."""
    assert bot.services is not None
    async with UnitOfWork(bot.services.db) as uow:
        return list(await uow.session.scalars(select(Case).order_by(Case.id)))


async def case_photos(bot: RunningBot, case_id: int) -> list[Photo]:
    """The photos stored for a case."""
    assert bot.services is not None
    async with UnitOfWork(bot.services.db) as uow:
        return list(await uow.session.scalars(select(Photo).where(Photo.case_id == case_id).order_by(Photo.id)))


async def report(
    client: SandboxClient,
    user: SandboxUser,
    *,
    category: str,
    where: tuple[float, float] = INSIDE,
    note: str | None = None,
    labels: dict[str, str] | None = None,
    file: tuple[bytes, str, str] | None = None,
) -> ChatMessage:
    """Walk through the whole flow with one photo (or ``file``: an image sent "as file", its bytes, name and type)
    and a shared location; returns the final outcome message."""
    words: dict[str, Any] = {
        "where": "Where is it?",
        "note": "Add a short note",
        "check": "Please check",
        "skip": "Skip",
        "submit": "Submit",
        "done": "Report #",
    } | (labels or {})
    if file is None:
        await client.send_photo(user, jpeg())
    else:
        await client.send_document(user, *file)
    picker = await client.wait_for_message(user.chat_id, lambda m: bool(m.buttons))
    await client.press(user, picker, category)
    await client.wait_for_message(user.chat_id, words["where"])
    await client.send_location(user, *where)
    question = await client.wait_for_message(user.chat_id, words["note"])
    if note is None:
        await client.press(user, question, words["skip"])
    else:
        await client.send_text(user, note)
    summary = await client.wait_for_message(user.chat_id, words["check"])
    await client.press(user, summary, words["submit"])
    return await client.wait_for_edit(user.chat_id, words["done"])


async def test_an_english_report_reaches_the_grid_with_its_deadline(bot: RunningBot, client: SandboxClient) -> None:
    await seed_city(bot)
    anna = await client.create_user(first_name="Anna", language_code="en")
    await client.send_photo(anna, jpeg())
    picker = await client.wait_for_message(anna.chat_id, "What kind of problem is it?")
    assert picker.text.startswith("📷 Got it: 1/5 photos.")
    assert "Illegal small ads / posters" in picker.button_texts and "Other" in picker.button_texts
    await client.press(anna, picker, "Exposed litter")
    assert (await client.wait_for_edit(anna.chat_id)).text == "Category: Exposed litter"
    ask = await client.wait_for_message(anna.chat_id, "Where is it?")
    assert [b.text for row in ask.reply_keyboard for b in row] == ["📍 Send my location"]
    await client.tap_keyboard(anna, "📍 Send my location", location=INSIDE)
    saved = await client.wait_for_message(anna.chat_id, "📍 Location saved")
    assert "39.91000, 116.40000" in saved.text
    assert await client.reply_keyboard(anna) == []  # the location button is gone once used
    question = await client.wait_for_message(anna.chat_id, "Add a short note")
    await client.send_text(anna, "Bin overflowing next to the bus stop")
    summary = await client.wait_for_message(anna.chat_id, "Please check your report:")
    assert "Category: Exposed litter" in summary.text
    assert "Photos: 1" in summary.text and "Note: Bin overflowing next to the bus stop" in summary.text
    assert question.button_texts == ["Skip"] and summary.button_texts == ["✅ Submit", "✖ Cancel"]
    await client.press(anna, summary, "Submit")
    done = await client.wait_for_edit(anna.chat_id, "Report #1")
    # Exposed litter has a 4 h working-time limit: Monday 10:00 + 4 working hours → 16:00 the same day.
    assert done.text.startswith(
        "✅ Report #1 received and sent to 东华门网格一. It should be handled by 2026-11-16 16:00."
    )
    assert "/my" in done.text and done.buttons == []
    [case] = await cases(bot)
    assert (case.status, case.category, case.unit_id) == (CaseStatus.DISPATCHED, "0102", "G-1")
    assert case.note == "Bin overflowing next to the bus stop" and case.language == "en"


async def test_a_chinese_report_is_answered_in_chinese(bot: RunningBot, client: SandboxClient) -> None:
    await seed_city(bot)
    li = await client.create_user(first_name="李雷", language_code="zh-hans")
    await client.send_command(li, "/report")
    first = await client.wait_for_message(li.chat_id)
    assert first.text == "请发送 1 至 5 张问题照片：可以是照片、相册或图片文件。"
    zh = {
        "where": "问题在哪里？",
        "note": "可以给网格员留一句简短说明",
        "check": "请核对您的上报内容",
        "skip": "跳过",
        "submit": "✅ 提交",
        "done": "上报 #",
    }
    done = await report(client, li, category="非法小广告（牛皮癣）", labels=zh)
    assert done.text.startswith("✅ 上报 #1 已受理，已派遣至「东华门网格一」，处置时限为 2026-11-17 10:00。")
    [case] = await cases(bot)
    assert case.language == "zh_CN" and case.note is None


async def test_a_report_nobody_covers_goes_to_the_dispatcher_queue(bot: RunningBot, client: SandboxClient) -> None:
    await seed_city(bot)
    anna = await client.create_user(first_name="Anna", language_code="en")
    done = await report(client, anna, category="Other", where=OUTSIDE)
    assert done.text.startswith(
        "✅ Report #1 received. No grid unit covers this place, so a dispatcher will assign it."
    )
    [case] = await cases(bot)
    assert case.status == CaseStatus.UNROUTED


async def test_the_photo_is_kept_on_disk_and_by_file_id(bot: RunningBot, client: SandboxClient) -> None:
    await seed_city(bot)
    anna = await client.create_user(first_name="Anna", language_code="en")
    await report(client, anna, category="Other")
    [photo] = await case_photos(bot, 1)
    assert photo.file_id and photo.local_path
    assert bot.services is not None
    stored = bot.services.data_dir / photo.local_path
    assert stored.is_file() and stored.read_bytes()[:2] == b"\xff\xd8"  # a JPEG
