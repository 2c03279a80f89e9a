"""Choices of a finished step stop acting, on both databases, and the alert says why.

An old category keyboard once the report has moved on, the photo's location once a place is set, and a draft's
choices after /cancel (or after it was sent) change nothing.
"""

from __future__ import annotations

from sqlalchemy import select

from models.cases import ReportDraft
from models.uow import UnitOfWork
from services import routing
from services.context import Services
from services.conversation import Command, Conversation, Location, Picked, Reply
from services.i18n import Translator
from services.messages import render_line
from tests.integration.test_conversation import person, photo, shown, token
from tests.integration.test_intake_submit import INSIDE, make_grid


def alert(services: Services, reply: Reply, locale: str = "en") -> str:
    assert reply.alert is not None and reply.edit is None and not reply.messages
    return render_line(services, reply.alert, Translator(locale))


async def the_draft(services: Services) -> ReportDraft | None:
    async with UnitOfWork(services.db) as uow:
        return (await uow.session.scalars(select(ReportDraft))).first()


async def test_an_old_category_keyboard_does_not_change_the_category(services: Services) -> None:
    await make_grid(services)
    await routing.load_grid_index(services)
    conversation, anna = Conversation(services), person(41)
    got = await conversation.handle(anna, photo())
    await conversation.handle(anna, Picked(token(got, ":0201")))
    # The location is asked now; the old keyboard is pressed again, for another category and for the same one.
    other = await conversation.handle(anna, Picked(token(got, ":0102")))
    assert alert(services, other) == "This report has moved on; the category is already chosen."
    same = await conversation.handle(anna, Picked(token(got, ":0201")))
    assert alert(services, same) == "This question was already answered."
    draft = await the_draft(services)
    assert draft is not None and draft.category == "0201"


async def test_the_photo_location_offer_is_stale_once_a_place_is_set(services: Services) -> None:
    conversation, anna = Conversation(services), person(42)
    exif = "draft:exif:{}"
    await conversation.handle(anna, photo())
    draft = await the_draft(services)
    assert draft is not None
    await conversation.handle(anna, Location(*INSIDE))
    async with UnitOfWork(services.db) as uow:
        row = await uow.session.get(ReportDraft, draft.id)
        assert row is not None
        row.exif_lat, row.exif_lon = 39.95, 116.45
        await uow.commit()
    reply = await conversation.handle(anna, Picked(exif.format(draft.id)))
    assert alert(services, reply) == "This report has moved on; the location is already set."
    kept = await the_draft(services)
    assert kept is not None and (kept.lat, kept.lon) == INSIDE


async def test_skip_after_cancel_says_there_is_no_report_in_progress(services: Services) -> None:
    conversation, li = Conversation(services), person(43, "zh-hans")
    got = await conversation.handle(li, photo())
    await conversation.handle(li, Picked(token(got, ":0201")))
    note = await conversation.handle(li, Location(*INSIDE))
    skip = next(tok for message in note.messages for tok in message.choice_tokens() if ":skip:" in tok)
    cancelled = await conversation.handle(li, Command("cancel", typed="/cancel"))
    assert shown(services, cancelled)[0].startswith("已取消")
    reply = await conversation.handle(li, Picked(skip))
    assert (
        alert(services, reply, "zh_CN")
        == "当前没有正在进行的上报。发送照片或 /report 开始上报；/my 可查看已提交的上报。"
    )
    assert await the_draft(services) is None


async def test_a_choice_of_an_earlier_report_leaves_the_current_one_alone(services: Services) -> None:
    conversation, anna = Conversation(services), person(44)
    got = await conversation.handle(anna, photo())
    old = token(got, ":0201")
    await conversation.handle(anna, Command("cancel", typed="/cancel"))
    await conversation.handle(anna, photo())  # a new report
    reply = await conversation.handle(anna, Picked(old))
    assert (
        alert(services, reply)
        == "This button belongs to an earlier report. Please use the buttons of your current one."
    )
    draft = await the_draft(services)
    assert draft is not None and draft.category is None


async def test_a_forged_page_choice_with_a_digit_int_cannot_read_is_refused_as_stale(services: Services) -> None:
    """A "¹" is a digit to ``str.isdigit`` but not a number to ``int``: the press is refused, not an error."""
    conversation, anna = Conversation(services), person(45)
    for forged in ("sub:p:¹", "sub:p:٣"):
        reply = await conversation.handle(anna, Picked(forged))
        assert alert(services, reply) == "This button is no longer valid."
