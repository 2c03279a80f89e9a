"""No citizen is named to staff, on both backends: a follower's answer in a case's history stays anonymous."""

from __future__ import annotations

from datetime import timedelta

from models.cases import CaseEvent
from models.status import CaseStatus
from models.uow import UnitOfWork
from models.users import User
from services import cases
from services.context import Services
from tests.integration.test_cases_dispatch import act, build_world, new_case


async def test_a_follower_who_answered_is_not_named_in_the_history(services: Services) -> None:
    world = await build_world(services)
    case_id = await new_case(world)
    await act(world, cases.resolve, case_id, world.officer_a, [cases.ProofPhoto("p")], "ok")
    async with UnitOfWork(services.db) as uow:
        # A follower's "Not fixed" as the earlier rules recorded it.
        at = services.clock.now() + timedelta(minutes=5)
        uow.session.add(
            CaseEvent(
                case_id=case_id,
                at=at,
                actor_id=world.follower,
                from_status=CaseStatus.RESOLVED,
                to_status=CaseStatus.REWORK,
                action="rework",
            )
        )
        await uow.commit()
    async with UnitOfWork(services.db) as uow:
        officer = await uow.session.get(User, world.officer_b)
        assert officer is not None
        _case, history = await cases.case_for_staff(uow.session, case_id, officer)
    rework = history[-1]
    assert rework.action == "rework" and rework.actor is None and not rework.by_reporter
    assert [h.actor for h in history if h.action == "resolve"] == ["网格员王"]
    assert "Follower" not in str(history)
