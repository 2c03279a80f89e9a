"""Claim names fit ``claimed_by`` (64 characters) and stay distinct, whatever the host name (both backends)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from models.outbox import OutboxMessage
from models.uow import UnitOfWork
from services import workers
from services.context import Services
from services.outbox_claims import claim_due
from services.workers import MAX_LENGTH, worker_name
from tests.world import queue_text

LONG_HOST = "build-runner-" + "x" * 200 + ".eu-central-1.compute.internal"  # 253 characters, as DNS allows


@pytest.fixture
def long_host(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(workers.socket, "gethostname", lambda: LONG_HOST)


def test_names_fit_and_differ_when_the_host_name_is_long(long_host: None, monkeypatch: pytest.MonkeyPatch) -> None:
    names = [worker_name("outbox") for _ in range(100)]
    monkeypatch.setattr(workers.os, "getpid", lambda: 1)  # containers: every process is pid 1
    names += [worker_name("outbox") for _ in range(100)]
    assert max(len(n) for n in names) <= MAX_LENGTH
    assert len(set(names)) == len(names)
    assert names[-1].startswith("outbox:build-runner-xxx") and ":1:" in names[-1]


def test_a_short_host_name_is_kept_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(workers.socket, "gethostname", lambda: "web-1")
    monkeypatch.setattr(workers.os, "getpid", lambda: 4242)
    name = worker_name("sla")
    assert name.startswith("sla:web-1:4242:") and len(name) == len("sla:web-1:4242:") + 12


async def test_an_outbox_claim_works_on_a_host_with_a_long_name(services: Services, long_host: None) -> None:
    async with UnitOfWork(services.db) as uow:
        await queue_text(uow.session, 7, "hello", kind="status", now=services.clock.now())
        await uow.commit()
    token, claimed = await claim_due(services, 10)  # PostgreSQL refused a 270-character claim name
    assert [row.address for row in claimed] == ["7"]
    async with UnitOfWork(services.db) as uow:
        stored = await uow.session.scalar(select(OutboxMessage.claimed_by))
    assert stored == token and len(token) <= MAX_LENGTH
