"""Report intake on both databases: drafts, submission, routing outcome, duplicates and limits."""

from __future__ import annotations

from datetime import timedelta
from itertools import count

import pytest
from sqlalchemy import func, select

from models.cases import Case, CaseFollower, DraftStep, Photo, ReportDraft
from models.outbox import OutboxMessage
from models.status import CaseStatus
from models.uow import UnitOfWork
from models.users import User
from services.clock import ManualClock
from services.context import Services
from services.intake import add_photo, open_draft, set_category, set_location, set_note, skip_note
from services.intake_limits import IntakeRefused, RateLimited
from services.intake_submit import ALREADY_SENT, Outcome, submit_draft
from services.photos import IncomingPhoto
from tests.world import INSIDE, OUTSIDE, make_grid, make_user

_ids = count(1000)


async def fill_draft(
    services: Services,
    user: User,
    where: tuple[float, float] = INSIDE,
    category: str = "0201",
    photos: int = 1,
    note: str | None = None,
) -> int:
    """A complete draft waiting for Submit; returns its id."""
    async with UnitOfWork(services.db) as uow:
        session = uow.session
        user = await session.get(User, user.id)  # type: ignore[assignment]
        for i in range(photos):
            photo = IncomingPhoto(file_id=f"f-{user.id}-{i}", file_unique_id=f"u-{user.id}-{i}-{next(_ids)}")
            added = await add_photo(services, session, user, photo, None)
        draft = added.draft
        set_category(services, draft, category)
        set_location(services, draft, *where, address=None, source="location")
        if note is None:
            skip_note(services, draft)
        else:
            set_note(services, draft, note)
        await uow.commit()
        return draft.id


async def submit(services: Services, user: User, draft_id: int):  # type: ignore[no-untyped-def]
    """Submit in its own unit of work, as a button press would."""
    async with UnitOfWork(services.db) as uow:
        fresh = await uow.session.get(User, user.id)
        assert fresh is not None
        result = await submit_draft(services, uow.session, fresh, draft_id)
        await uow.commit()
        return result


async def test_a_report_inside_a_grid_is_dispatched_with_a_deadline(services: Services) -> None:
    officer = await make_grid(services)
    user = await make_user(services)
    draft_id = await fill_draft(services, user, photos=2, note="电线杆上贴满了小广告")
    result = await submit(services, user, draft_id)
    assert result.outcome is Outcome.DISPATCHED
    assert result.unit_name == "东华门网格一"
    assert result.due_at is not None and result.due_at > services.clock.now()
    async with UnitOfWork(services.db) as uow:
        case = await uow.session.get(Case, result.case.id)
        assert case is not None
        assert (case.status, case.unit_id, case.chain) == (CaseStatus.DISPATCHED, "G-1", "G-1>C-1")
        assert case.note == "电线杆上贴满了小广告" and case.language == "zh_CN"
        assert len(case.photos) == 2
        assert [e.to_status for e in case.events] == [CaseStatus.SUBMITTED, CaseStatus.DISPATCHED]
        assert await uow.session.get(CaseFollower, (case.id, user.id)) is not None
        assert await uow.session.scalar(select(func.count(ReportDraft.id))) == 0
        assert officer is not None
        cards = await uow.session.scalar(
            select(func.count(OutboxMessage.id)).where(OutboxMessage.user_id == officer.id)
        )
        assert cards and cards > 0


async def test_a_report_outside_every_grid_is_queued_not_dropped(services: Services) -> None:
    await make_grid(services)
    user = await make_user(services)
    result = await submit(services, user, await fill_draft(services, user, where=OUTSIDE))
    assert result.outcome is Outcome.QUEUED
    async with UnitOfWork(services.db) as uow:
        case = await uow.session.get(Case, result.case.id)
        assert case is not None and case.status == CaseStatus.UNROUTED and case.unit_id is None


async def test_submitting_twice_makes_one_case(services: Services) -> None:
    await make_grid(services)
    user = await make_user(services)
    draft_id = await fill_draft(services, user)
    await submit(services, user, draft_id)
    with pytest.raises(IntakeRefused) as refused:
        await submit(services, user, draft_id)
    assert refused.value.message == ALREADY_SENT
    async with UnitOfWork(services.db) as uow:
        assert await uow.session.scalar(select(func.count(Case.id))) == 1


async def test_an_incomplete_draft_cannot_be_submitted(services: Services) -> None:
    user = await make_user(services)
    async with UnitOfWork(services.db) as uow:
        fresh = await uow.session.get(User, user.id)
        assert fresh is not None
        draft, started = await open_draft(services, uow.session, fresh)
        assert started and draft.step == DraftStep.PHOTOS
        await uow.commit()
    with pytest.raises(IntakeRefused):
        await submit(services, user, draft.id)


async def test_same_problem_nearby_becomes_a_duplicate_followed_by_its_reporter(
    services: Services, clock: ManualClock
) -> None:
    await make_grid(services)
    first, second = await make_user(services), await make_user(services, language="en")
    original = await submit(services, first, await fill_draft(services, first))
    clock.advance(timedelta(hours=2))
    near = (INSIDE[0] + 0.0002, INSIDE[1])  # about 22 m north
    again = await submit(services, second, await fill_draft(services, second, where=near))
    assert again.outcome is Outcome.DUPLICATE
    assert again.parent is not None and again.parent.id == original.case.id
    async with UnitOfWork(services.db) as uow:
        case = await uow.session.get(Case, again.case.id)
        assert case is not None
        assert case.status == CaseStatus.DUPLICATE and case.parent_case_id == original.case.id
        assert await uow.session.get(CaseFollower, (original.case.id, second.id)) is not None


async def test_other_category_far_away_or_old_cases_are_not_duplicates(services: Services, clock: ManualClock) -> None:
    await make_grid(services)
    user = await make_user(services)
    await submit(services, user, await fill_draft(services, user))
    other_category = await submit(services, user, await fill_draft(services, user, category="0102"))
    far = await submit(services, user, await fill_draft(services, user, where=(INSIDE[0] + 0.001, INSIDE[1])))
    clock.advance(timedelta(hours=25))
    late = await submit(services, user, await fill_draft(services, user))
    assert [r.outcome for r in (other_category, far, late)] == [Outcome.DISPATCHED] * 3


async def test_the_hourly_limit_refuses_with_the_time_to_come_back(services: Services, clock: ManualClock) -> None:
    services.config.reporting.reports_per_hour = 2
    await make_grid(services)
    user = await make_user(services)
    await submit(services, user, await fill_draft(services, user, where=OUTSIDE))
    clock.advance(timedelta(minutes=10))
    await submit(services, user, await fill_draft(services, user, where=OUTSIDE, category="0102"))
    async with UnitOfWork(services.db) as uow:
        fresh = await uow.session.get(User, user.id)
        assert fresh is not None
        with pytest.raises(RateLimited) as limited:
            await open_draft(services, uow.session, fresh)
    # 10:00 Beijing was the first report: one slot frees at 11:00.
    assert limited.value.values == {"limit": 2, "time": "11:00"}
    clock.advance(timedelta(minutes=51))
    await fill_draft(services, user)


async def test_a_banned_user_can_not_start_a_report(services: Services) -> None:
    user = await make_user(services, banned=True)
    async with UnitOfWork(services.db) as uow:
        fresh = await uow.session.get(User, user.id)
        assert fresh is not None
        with pytest.raises(IntakeRefused) as refused:
            await open_draft(services, uow.session, fresh)
    assert "nothing you send is accepted" in refused.value.message


async def test_photos_move_from_the_draft_to_the_case(services: Services) -> None:
    user = await make_user(services)
    result = await submit(services, user, await fill_draft(services, user, where=OUTSIDE, photos=3))
    async with UnitOfWork(services.db) as uow:
        rows = list(await uow.session.scalars(select(Photo).order_by(Photo.id)))
    assert [(p.case_id, p.draft_id) for p in rows] == [(result.case.id, None)] * 3
