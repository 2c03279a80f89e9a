"""Filing from plain values (both databases): the chat report's path, with the source recorded."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from models.cases import Case, Photo
from models.outbox import OutboxMessage
from models.status import CaseStatus
from models.uow import UnitOfWork
from models.users import User
from services import routing
from services.apikeys import create_key
from services.context import Services
from services.filing import Filing, file_report
from services.i18n import Translator
from services.intake_limits import IntakeRefused
from services.intake_submit import Outcome, submit_draft
from services.messages import PhotoRef, from_json, render_lines
from services.summary.compute import compute_summary
from services.summary.render import render_text
from services.summary.weeks import IsoWeek
from services.users import user_by_identity
from tests.integration.open311_world import jpeg_bytes
from tests.integration.test_intake_submit import fill_draft
from tests.world import INSIDE, OUTSIDE, make_grid, make_user


async def hotline(services: Services) -> Filing:
    info, _key = await create_key(services, "hotline")
    return Filing(category="0201", lat=INSIDE[0], lon=INSIDE[1], description="Posters", source=info.source,
                  client_id=info.id, client_name=info.name)  # fmt: skip


async def outbox_to(services: Services, address: str | None) -> list[OutboxMessage]:
    async with UnitOfWork(services.db) as uow:
        query = select(OutboxMessage).where(OutboxMessage.address == address).order_by(OutboxMessage.id)
        return list(await uow.session.scalars(query))


async def test_a_filed_report_is_dispatched_to_the_units_officer_with_a_deadline(services: Services) -> None:
    officer = await make_grid(services)
    assert officer is not None
    await routing.load_grid_index(services)
    base = await hotline(services)
    filed = await file_report(services, Filing(**{**base.__dict__, "photo": jpeg_bytes()}))
    assert (
        filed.outcome is Outcome.DISPATCHED
        and filed.unit_name == "东华门网格一"
        and filed.number == f"#{filed.case_id}"
    )
    assert filed.due_at == services.clock.now() + timedelta(days=1)  # 0201: one working day, Monday 10:00
    async with UnitOfWork(services.db) as uow:
        case = await uow.session.get(Case, filed.case_id)
        assert case is not None and case.source == "open311:hotline" and case.status == CaseStatus.DISPATCHED
        reporter = await uow.session.get(User, case.reporter_id)
        # The client is an account on the open311 channel with no contact: it is never messaged.
        assert reporter is not None and reporter.contact_address is None
        assert await user_by_identity(uow.session, "open311", base.client_id) == reporter
        photo = await uow.session.scalar(select(Photo).where(Photo.case_id == case.id))
        assert photo is not None and photo.file_id == "" and photo.local_path is not None
    photos, pin, card = (from_json(m.payload) for m in await outbox_to(services, officer.contact_address))
    assert photos.photos == (PhotoRef(photo_id=photo.id),)  # no channel file id yet: the sender uploads the copy
    assert pin.location == (INSIDE[0], INSIDE[1])
    assert "Posters" in render_lines(services, card.lines, Translator("en"))
    assert await outbox_to(services, str(base.client_id)) == []


async def test_no_grid_queues_it_and_a_second_report_is_a_duplicate(services: Services) -> None:
    await make_grid(services)
    await routing.load_grid_index(services)
    base = await hotline(services)
    queued = await file_report(services, Filing(**{**base.__dict__, "lat": OUTSIDE[0], "lon": OUTSIDE[1]}))
    assert queued.outcome is Outcome.QUEUED and queued.unit_name is None
    first = await file_report(services, base)
    again = await file_report(services, base)
    assert again.outcome is Outcome.DUPLICATE and again.parent_id == first.case_id


async def test_a_refused_filing_stores_nothing(services: Services) -> None:
    base = await hotline(services)
    for bad, message in [
        ({"category": "7777"}, "There is no category {code}."),
        ({"lat": 95.0}, "The location {lat}, {lon} is not a valid WGS-84 point."),
        ({"description": "x" * 501}, "The description is too long (at most {limit} characters)."),
        ({"photo": b"GIF89a but not really"}, "The media is not a photo (JPEG, PNG, WebP...)."),
    ]:
        with pytest.raises(IntakeRefused) as refused:
            await file_report(services, Filing(**{**base.__dict__, **bad}))
        assert refused.value.message == message
    async with UnitOfWork(services.db) as uow:
        assert await uow.session.scalar(select(func.count(Case.id))) == 0


async def test_the_weekly_summary_counts_cases_by_source(services: Services) -> None:
    await make_grid(services)
    await routing.load_grid_index(services)
    citizen = await make_user(services)
    async with UnitOfWork(services.db) as uow:
        user = await uow.session.get(User, citizen.id)
        assert user is not None
        await submit_draft(services, uow.session, user, await fill_draft(services, citizen))
        await uow.commit()
    base = await hotline(services)
    await file_report(services, Filing(**{**base.__dict__, "lat": OUTSIDE[0], "lon": OUTSIDE[1]}))
    await file_report(services, Filing(**{**base.__dict__, "lat": OUTSIDE[0] + 0.01, "lon": OUTSIDE[1]}))
    week = IsoWeek.containing(services.clock.now(), services.tz)
    async with UnitOfWork(services.db) as uow:
        summary = await compute_summary(
            uow.session, week, tz=services.tz, now=services.clock.now(), config=services.config.summary
        )
    assert summary.sources == {"open311:hotline": 2, "telegram": 1}
    assert "Received by source: open311:hotline 2 · telegram 1" in render_text(summary, services.config, "en")
    assert "按来源受理：open311:hotline 2 · telegram 1" in render_text(summary, services.config, "zh_CN")
