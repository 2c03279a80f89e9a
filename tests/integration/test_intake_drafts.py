"""Drafts on both databases: ids never reused, expiry with one notice, cancel, and who may read a case's history."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import func, select

from channels.telegram import CHANNEL as TELEGRAM
from models.cases import Photo, ReportDraft
from models.identities import UserIdentity
from models.outbox import OutboxMessage
from models.uow import UnitOfWork
from models.users import User
from services.clock import ManualClock
from services.context import Services
from services.i18n import Translator
from services.intake import add_photo, cancel_all, find_draft, open_draft, set_category
from services.intake_expiry import expire_drafts
from services.intake_history import case_for_follower, history, reporter_cases, reporter_count
from services.messages import from_json, render_lines
from services.photos import IncomingPhoto, attach_copy, backfill_copies
from tests.integration.test_intake_submit import fill_draft, submit
from tests.world import INSIDE, make_grid, make_user


async def start_draft(services: Services, user: User, photos: int = 1) -> int:
    """A draft holding ``photos`` photos; returns its id."""
    async with UnitOfWork(services.db) as uow:
        fresh = await uow.session.get(User, user.id)
        assert fresh is not None
        for i in range(photos):
            result = await add_photo(
                services,
                uow.session,
                fresh,
                IncomingPhoto(f"file-{i}", f"unique-{i}", local_path=f"photos/x{i}.jpg"),
                None,
            )
        await uow.commit()
        return result.draft.id


async def test_a_new_draft_never_gets_an_old_drafts_id(services: Services) -> None:
    user = await make_user(services)
    first = await start_draft(services, user)
    async with UnitOfWork(services.db) as uow:
        await cancel_all(uow.session, user.id)
        await uow.commit()
    assert await start_draft(services, user) > first


async def test_idle_drafts_expire_once_with_a_notice_in_the_owners_language(
    services: Services, clock: ManualClock
) -> None:
    zh, en = await make_user(services), await make_user(services, language="en")
    await start_draft(services, zh, photos=2)
    clock.advance(timedelta(minutes=30))
    await start_draft(services, en)
    clock.advance(timedelta(minutes=31))  # zh idle 61 min, en idle 31 min
    async with UnitOfWork(services.db) as uow:
        result = await expire_drafts(services, uow.session)
        await uow.commit()
    assert result.count == 1 and sorted(result.paths) == ["photos/x0.jpg", "photos/x1.jpg"]
    async with UnitOfWork(services.db) as uow:
        again = await expire_drafts(services, uow.session)
        await uow.commit()
        assert again.count == 0
        assert await find_draft(uow.session, zh.id) is None and await find_draft(uow.session, en.id) is not None
        assert await uow.session.scalar(select(func.count(Photo.id))) == 1
        [notice] = list(await uow.session.scalars(select(OutboxMessage)))
        query = select(UserIdentity.external_id).where(UserIdentity.user_id == zh.id, UserIdentity.channel == TELEGRAM)
        zh_chat = await uow.session.scalar(query)
    assert (notice.channel, notice.address) == (TELEGRAM, zh_chat)
    message = from_json(notice.payload)
    assert render_lines(services, message.lines, Translator(zh.locale)).startswith("您未完成的上报已超过 60 分钟无操作")
    assert message.end_location and not message.choices  # the "send my location" keyboard goes away


async def test_touching_a_draft_keeps_it_alive(services: Services, clock: ManualClock) -> None:
    user = await make_user(services)
    await start_draft(services, user)
    clock.advance(timedelta(minutes=50))
    async with UnitOfWork(services.db) as uow:
        draft = await find_draft(uow.session, user.id)
        assert draft is not None
        set_category(services, draft, "0201")
        await uow.commit()
    clock.advance(timedelta(minutes=50))
    async with UnitOfWork(services.db) as uow:
        assert (await expire_drafts(services, uow.session)).count == 0


async def test_cancel_removes_the_draft_and_its_photos(services: Services) -> None:
    user = await make_user(services)
    await start_draft(services, user, photos=3)
    async with UnitOfWork(services.db) as uow:
        paths = await cancel_all(uow.session, user.id)
        await uow.commit()
    assert paths is not None and len(paths) == 3
    async with UnitOfWork(services.db) as uow:
        assert await uow.session.scalar(select(func.count(ReportDraft.id))) == 0
        assert await uow.session.scalar(select(func.count(Photo.id))) == 0
        assert await cancel_all(uow.session, user.id) is None


async def test_two_workers_starting_a_draft_at_once_share_one(services: Services) -> None:
    """Two photos of one album handled by two workers at once: both end up in the same draft."""
    user = await make_user(services)
    first_flushed, first_may_commit = asyncio.Event(), asyncio.Event()

    async def worker(wait: bool) -> tuple[int, bool]:
        async with UnitOfWork(services.db) as uow:
            fresh = await uow.session.get(User, user.id)
            assert fresh is not None
            fresh.last_seen_at = services.clock.now()  # a turn always writes the user row first
            await uow.session.flush()
            draft, started = await open_draft(services, uow.session, fresh)
            if wait:
                first_flushed.set()
                await first_may_commit.wait()
            await uow.commit()
            return draft.id, started

    first = asyncio.create_task(worker(wait=True))
    await first_flushed.wait()
    second = asyncio.create_task(worker(wait=False))
    await asyncio.sleep(0.2)  # the second worker now waits on the first's lock (either order gives one draft)
    first_may_commit.set()
    (first_id, first_started), (second_id, second_started) = await first, await second
    assert first_id == second_id and (first_started, second_started) == (True, False)


async def test_history_is_for_the_reporter_and_followers_only(services: Services, clock: ManualClock) -> None:
    await make_grid(services)
    anna, bob, eve = await make_user(services), await make_user(services), await make_user(services)
    original = await submit(services, anna, await fill_draft(services, anna))
    clock.advance(timedelta(minutes=5))
    duplicate = await submit(services, bob, await fill_draft(services, bob, where=(INSIDE[0] + 0.0001, INSIDE[1])))
    async with UnitOfWork(services.db) as uow:
        session = uow.session
        assert await case_for_follower(session, anna.id, original.case.id) is not None
        assert await case_for_follower(session, bob.id, original.case.id) is not None  # follows the parent
        assert await case_for_follower(session, bob.id, duplicate.case.id) is not None
        assert await case_for_follower(session, eve.id, original.case.id) is None
        assert await case_for_follower(session, anna.id, duplicate.case.id) is None
        lines = await reporter_cases(session, bob.id)
        assert await reporter_count(session, bob.id) == 1 and [line.case.id for line in lines] == [duplicate.case.id]
        line = await case_for_follower(session, anna.id, original.case.id)
        assert line is not None and line.unit_name == "东华门网格一"
        events = await history(session, duplicate.case.id)
        assert [(e.action, e.to_status) for e in events] == [("report", "submitted"), ("duplicate", "duplicate")]


async def test_missing_photo_copies_are_fetched_later(services: Services, clock: ManualClock) -> None:
    user = await make_user(services)
    async with UnitOfWork(services.db) as uow:
        fresh = await uow.session.get(User, user.id)
        assert fresh is not None
        for i in range(2):
            await add_photo(services, uow.session, fresh, IncomingPhoto(f"tg-{i}", f"u-{i}"), None)
        await uow.commit()
    asked: list[str] = []

    async def fetch(file_id: str) -> bytes | None:
        asked.append(file_id)
        return None if file_id == "tg-1" else b"\xff\xd8 jpeg bytes"

    assert await backfill_copies(services, fetch) == 0  # too fresh: the copy may still be on its way
    clock.advance(timedelta(minutes=2))
    assert await backfill_copies(services, fetch) == 1
    async with UnitOfWork(services.db) as uow:
        rows = list(await uow.session.scalars(select(Photo).order_by(Photo.id)))
    assert asked == ["tg-0", "tg-1"]
    assert rows[0].local_path is not None and rows[1].local_path is None
    assert (services.data_dir / rows[0].local_path).read_bytes() == b"\xff\xd8 jpeg bytes"
    clock.advance(timedelta(days=2))
    asked.clear()
    assert await backfill_copies(services, fetch) == 0 and asked == []  # given up on after a day


async def test_a_late_copy_never_overwrites_one_already_kept(services: Services) -> None:
    user = await make_user(services)
    async with UnitOfWork(services.db) as uow:
        fresh = await uow.session.get(User, user.id)
        assert fresh is not None
        added = await add_photo(services, uow.session, fresh, IncomingPhoto("tg", "u"), None)
        await uow.commit()
    assert added.row is not None
    first = await attach_copy(services, added.row.id, b"first")
    await attach_copy(services, added.row.id, b"second")
    async with UnitOfWork(services.db) as uow:
        row = await uow.session.get(Photo, added.row.id)
    assert row is not None and row.local_path == first
    assert [p.read_bytes() for p in (services.data_dir / "photos").rglob("*.*")] == [b"first"]
