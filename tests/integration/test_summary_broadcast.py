"""Queueing the weekly summary: who gets what, in which language, exactly once, even across a crash."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import func, select

from channels.telegram import CHANNEL as TELEGRAM
from channels.telegram import sender as telegram_sender
from channels.telegram.limits import MAX_CAPTION, utf16_length
from models.broadcast import Subscription, WeeklySummary
from models.cases import Case
from models.outbox import DeliveryStatus, OutboxMessage
from models.uow import UnitOfWork
from models.users import User
from services.clock import ManualClock
from services.context import Services
from services.delivery import deliver_due
from services.i18n import Translator
from services.messages import from_json, render_lines
from services.outbox import Contact
from services.summary.broadcast import catch_up, queue_due_week, queue_week
from services.summary.subscriptions import subscribe
from services.summary.weeks import IsoWeek
from services.users import mark_unreachable
from tests.integration.summary_world import SUMMARY_TIME, bj, build_world
from tests.world import tg_user

W47 = IsoWeek(2026, 47)
CHANNEL = -1001234


class Crash(Exception):
    """The process dies half-way."""


async def add_user(services: Services, uid: int, language: str, *, blocked: bool = False) -> None:
    async with UnitOfWork(services.db) as uow:
        uow.session.add(tg_user(uid, id=uid, language=language, blocked_bot=blocked, created_at=SUMMARY_TIME))
        await uow.commit()


async def add_subscriber(
    services: Services, chat_id: int, unit_id: str | None, language: str, user: bool = True
) -> None:
    """A private chat (user id = chat id) or, with ``user=False``, a group chat."""
    if user:
        await add_user(services, chat_id, language)
    async with UnitOfWork(services.db) as uow:
        await subscribe(
            uow.session,
            contact=chat(chat_id),
            unit_id=unit_id,
            language=language,
            now=SUMMARY_TIME,
            user_id=chat_id if user else None,
        )
        await uow.commit()


async def outbox(services: Services) -> list[OutboxMessage]:
    async with services.db.sessions() as session:
        return list(await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def chat(chat_id: int) -> Contact:
    """A Telegram chat (a private chat's id is the user's id; groups and channels are negative)."""
    return Contact(TELEGRAM, str(chat_id))


def by_chat(rows: list[OutboxMessage]) -> dict[int, list[OutboxMessage]]:
    found: dict[int, list[OutboxMessage]] = {}
    for row in rows:
        assert row.channel == TELEGRAM
        found.setdefault(int(row.address), []).append(row)
    return found


def is_png(path: str) -> bool:
    """Whether ``path`` holds a PNG image (the file the sender will upload)."""
    with open(path, "rb") as fh:
        return fh.read(8) == b"\x89PNG\r\n\x1a\n"


def text_of(rows: list[OutboxMessage]) -> str:
    """The report a recipient reads with the chart (final text: the same in every reader's language)."""
    return render_lines(None, from_json(rows[-1].payload).lines, Translator("en"))  # type: ignore[arg-type]


def chart_of(row: OutboxMessage) -> str:
    """The local file of the chart a summary row carries."""
    photos = from_json(row.payload).photos
    assert len(photos) == 1 and photos[0].photo_id is None and photos[0].path is not None
    return photos[0].path


@pytest.fixture
async def world(services: Services, clock: ManualClock) -> Services:
    clock.set(SUMMARY_TIME)
    await build_world(services)
    services.default_channel = TELEGRAM  # as the composition root sets it: bare chat ids are Telegram chats
    services.config.summary.channels = [CHANNEL]
    return services


async def test_each_recipient_gets_the_chart_then_the_text_for_their_area_in_their_language(world: Services) -> None:
    await add_subscriber(world, 501, None, "zh_CN")
    await add_subscriber(world, 502, "S1", "en")
    await add_subscriber(world, -503, "C2", "en", user=False)  # a group following one community
    result = await queue_week(world, W47)
    assert (result.recipients, result.queued, result.already) == (4, 4, 0)
    chats = by_chat(await outbox(world))
    assert set(chats) == {CHANNEL, 501, 502, -503}
    for chat_id, rows in chats.items():  # one row per chat: the chart with its report, which fits in a caption
        assert [r.dedupe_key for r in rows] == [f"summary:2026-W47:telegram:{chat_id}"]
        assert is_png(chart_of(rows[0]))
        assert utf16_length(text_of(rows)) <= MAX_CAPTION
    channel, city_zh, street_en, group = (text_of(chats[c]) for c in (CHANNEL, 501, 502, -503))
    assert channel.startswith("城市管理周通报 2026-W47（2026-11-16 至 2026-11-22）：全市")
    assert "受理 9（较上周 +7）" in channel and "志愿者" in channel
    assert "发送 /unsubscribe 可退订周通报。" not in channel  # a channel cannot unsubscribe
    assert city_zh.splitlines()[-1] == "发送 /unsubscribe 可退订周通报。"
    assert street_en.startswith("Weekly report 2026-W47 (2026-11-16 – 2026-11-22): 东华门街道")
    assert "Received 5 (+4 on last week)" in street_en
    assert group.startswith("Weekly report 2026-W47") and group.splitlines()[0].endswith(": 黄化门社区")
    assert "Received 3 (+2 on last week)" in group


async def test_the_report_follows_a_subscribers_current_language(world: Services) -> None:
    await add_subscriber(world, 501, None, "zh_CN")
    async with UnitOfWork(world.db) as uow:
        user = await uow.session.get(User, 501)
        assert user is not None
        user.language = "en"  # /lang en after subscribing
        await uow.commit()
    await queue_week(world, W47)
    assert text_of(by_chat(await outbox(world))[501]).startswith("Weekly report 2026-W47")


async def test_a_second_run_queues_nothing(world: Services) -> None:
    await add_subscriber(world, 501, None, "zh_CN")
    await queue_week(world, W47)
    again = await queue_week(world, W47)
    assert again.queued == 0
    assert len(await outbox(world)) == 2
    async with world.db.sessions() as session:
        row = await session.get(WeeklySummary, "2026-W47")
        assert row is not None and row.queued_at == SUMMARY_TIME
        assert row.chart_path is not None and is_png(row.chart_path)


async def test_a_crash_mid_broadcast_resumes_where_it_stopped_without_duplicates(world: Services) -> None:
    for chat_id in range(601, 608):
        await add_subscriber(world, chat_id, None, "zh_CN")

    def die_after_first_batch(done: int) -> None:
        raise Crash(f"killed after {done}")

    with pytest.raises(Crash):
        await queue_week(world, W47, batch=3, progress=die_after_first_batch)
    assert len(by_chat(await outbox(world))) == 3  # the first batch was committed, nothing else
    # Meanwhile a late case arrives; the resumed broadcast still sends the figures already published.
    async with UnitOfWork(world.db) as uow:
        uow.session.add(
            Case(
                id=100,
                reporter_id=1,
                category="0201",
                lat=39.9,
                lon=116.4,
                chain="G1>C1>S1>D1",
                unit_id="G1",
                reported_at=bj(20, 10),
            )
        )
        await uow.commit()
    resumed = await queue_week(world, W47, batch=3)
    assert (resumed.recipients, resumed.already, resumed.queued) == (8, 3, 5)
    chats = by_chat(await outbox(world))
    assert len(chats) == 8 and all(len(rows) == 1 for rows in chats.values())
    assert {text_of(rows).splitlines()[2] for rows in chats.values()} == {
        "受理 9（较上周 +7）· 立案 7 · 派遣 6 · 结案 4"
    }
    assert (await queue_week(world, W47)).queued == 0


async def test_a_subscriber_who_blocked_the_bot_is_unsubscribed_and_not_queued(world: Services) -> None:
    await add_subscriber(world, 501, None, "zh_CN")
    await add_subscriber(world, 502, None, "zh_CN")
    async with UnitOfWork(world.db) as uow:
        await mark_unreachable(uow.session, TELEGRAM, "502")  # the sender saw a 403
        await uow.commit()
    result = await queue_week(world, W47)
    assert result.ended == 1
    assert set(by_chat(await outbox(world))) == {CHANNEL, 501}
    async with world.db.sessions() as session:
        sub = await session.scalar(
            select(Subscription).where(Subscription.channel == TELEGRAM, Subscription.address == "502")
        )
        assert sub is not None and not sub.active and sub.ended_reason == "blocked"


async def test_a_group_that_removed_the_bot_is_unsubscribed_the_next_week(world: Services, clock: ManualClock) -> None:
    await add_subscriber(world, -700, None, "zh_CN", user=False)
    await queue_week(world, W47)
    async with UnitOfWork(world.db) as uow:  # what the sender records for a 403
        for row in await uow.session.scalars(select(OutboxMessage).where(OutboxMessage.address == "-700")):
            row.status = DeliveryStatus.FAILED
            row.last_error = "403 Forbidden: bot was kicked from the group chat"
        await uow.commit()
    clock.set(datetime(2026, 11, 30, 1, 0, tzinfo=UTC))
    result = await queue_due_week(world)
    assert result.week == "2026-W48" and result.ended == 1
    w48 = [r for r in await outbox(world) if r.dedupe_key and "2026-W48" in r.dedupe_key]
    assert {int(r.address) for r in w48} == {CHANNEL}
    # The group adds the bot back and subscribes again: the old 403 no longer counts against it.
    async with UnitOfWork(world.db) as uow:
        await subscribe(uow.session, contact=chat(-700), unit_id=None, language="zh_CN", now=bj(1, 10, month=12))
        await uow.commit()
    clock.set(datetime(2026, 12, 7, 1, 0, tzinfo=UTC))
    result = await queue_due_week(world)
    assert result.week == "2026-W49" and result.ended == 0
    w49 = [r for r in await outbox(world) if r.dedupe_key and "2026-W49" in r.dedupe_key]
    assert {int(r.address) for r in w49} == {CHANNEL, -700}


async def test_the_scheduled_run_sends_the_week_that_just_ended(world: Services) -> None:
    result = await queue_due_week(world)  # Monday 2026-11-23 09:00 Beijing
    assert result.week == "2026-W47" and result.queued == 1


async def test_catch_up_sends_a_missed_monday_once(world: Services, clock: ManualClock) -> None:
    clock.set(bj(23, 11))  # the bot was down at 09:00
    first = await catch_up(world)
    assert first is not None and first.week == "2026-W47" and first.queued == 1
    assert await catch_up(world) is None  # a second start sends nothing
    assert len(await outbox(world)) == 1


async def test_catch_up_before_monday_nine_looks_at_the_week_before(world: Services, clock: ManualClock) -> None:
    clock.set(bj(23, 8))  # W47's send is not due yet; the last send due was W46's
    result = await catch_up(world)
    assert result is not None and result.week == "2026-W46"


async def test_a_fresh_installation_does_not_catch_up(services: Services, clock: ManualClock) -> None:
    clock.set(bj(23, 11))
    assert await catch_up(services) is None
    async with services.db.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


class FakeBot:
    """The Bot API calls the Telegram sender makes, recorded (each answered with a new message id)."""

    id = 1

    def __init__(self) -> None:
        self.calls: list[tuple[str, int | str, str | None]] = []

    async def send_photo(self, chat: int | str, photo: Any, caption: str | None = None, **_: Any) -> Any:
        self.calls.append(("sendPhoto", chat, caption))
        return SimpleNamespace(message_id=len(self.calls), photo=[SimpleNamespace(file_id=f"chart-{len(self.calls)}")])

    async def send_message(self, chat: int | str, text: str, **_: Any) -> Any:
        self.calls.append(("sendMessage", chat, text))
        return SimpleNamespace(message_id=len(self.calls))


async def test_long_reports_go_as_chart_with_its_title_then_the_text(
    world: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(telegram_sender, "MAX_CAPTION", 100)  # every report is now too long for a caption
    world.config.outbox.per_chat_interval_seconds = 0
    world.config.outbox.group_interval_seconds = 0
    world.config.outbox.global_per_second = 1_000_000
    await add_subscriber(world, 501, None, "zh_CN")
    await add_subscriber(world, 502, "S1", "en")
    await queue_week(world, W47)
    rows = await outbox(world)
    assert [(int(r.address), r.dedupe_key) for r in rows] == [
        (CHANNEL, f"summary:2026-W47:telegram:{CHANNEL}"),
        (501, "summary:2026-W47:telegram:501"),
        (502, "summary:2026-W47:telegram:502"),
    ]
    bot = FakeBot()
    assert await deliver_due(world, telegram_sender.TelegramSender(bot, world)) == 3  # type: ignore[arg-type]
    # Each chat gets its chart captioned with the report's title, then the whole report as a text.
    for chat_id in (CHANNEL, 501, 502):
        calls = [(method, text) for method, to, text in bot.calls if to == chat_id]
        assert [method for method, _text in calls] == ["sendPhoto", "sendMessage"]
    street = [text for _method, to, text in bot.calls if to == 502]
    assert street[0] == "Weekly report 2026-W47 (2026-11-16 – 2026-11-22): 东华门街道"
    assert street[1] is not None and street[1].startswith(street[0] + "\n\nReceived 5")
