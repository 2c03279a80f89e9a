"""Status updates posted to an Open311 client's callback URL (both databases): a local HTTP server plays the client.

A request is filed over the API with a key made with a callback; the grid officer accepts and resolves it; each
outbox pass posts the case's published state to the client, in order, retrying what the client could not take.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import aiohttp
from aiohttp import web
from sqlalchemy import select

from bot.servers import Site
from channels.open311.callback import Open311CallbackSender
from models.outbox import DeliveryStatus, OutboxMessage
from models.uow import UnitOfWork
from models.users import User
from services import cases
from services.apikeys import create_key, revoke_key
from services.cases import ProofPhoto
from services.channels import ChannelRegistry
from services.clock import ManualClock
from services.context import Services
from services.delivery import deliver_due
from tests.integration.open311_world import INSIDE, Api, free_port, running_api

AFTER = [ProofPhoto("after-0", "u-after-0", 800, 600, 1000)]


@dataclass
class Endpoint:
    """The client's callback URL: records each post and answers with the next status given (then 200)."""

    url: str
    posts: list[tuple[dict[str, str], dict[str, Any]]] = field(default_factory=list)
    answers: list[tuple[int, dict[str, str]]] = field(default_factory=list)


@asynccontextmanager
async def endpoint() -> AsyncIterator[Endpoint]:
    found = Endpoint("")

    async def receive(request: web.Request) -> web.Response:
        found.posts.append((dict(request.headers), await request.json()))
        status, headers = found.answers.pop(0) if found.answers else (200, {})
        return web.Response(status=status, headers=headers, text="ok")

    app = web.Application()
    app.router.add_post("/citybot/updates", receive)
    async with Site("client endpoint", app) as site:
        found.url = f"{site.url}/citybot/updates"
        yield found


async def file_request(api: Api, key: str) -> int:
    """File a request over HTTP with ``key``; returns its id."""
    form = {"api_key": key, "service_code": "0201", "lat": str(INSIDE[0]), "long": str(INSIDE[1]),
            "description": "Posters on the bus stop"}  # fmt: skip
    async with aiohttp.ClientSession() as http, http.post(f"{api.url}/requests.json", data=form) as resp:
        assert resp.status == 200, await resp.text()
        return int((await resp.json())[0]["service_request_id"])


async def officer_acts(api: Api, action: Any, case_id: int, *args: Any) -> None:
    """Run a case action as the grid's officer in its own committed transaction."""
    assert api.officer is not None
    async with UnitOfWork(api.services.db) as uow:
        officer = await uow.session.get(User, api.officer.id)
        await action(api.services, uow.session, case_id, officer, *args)
        await uow.commit()


async def client_rows(services: Services) -> list[OutboxMessage]:
    async with UnitOfWork(services.db) as uow:
        query = select(OutboxMessage).where(OutboxMessage.channel == "open311").order_by(OutboxMessage.id)
        return list(await uow.session.scalars(query))


async def deliver(services: Services, sender: Open311CallbackSender) -> int:
    """One outbox pass with only the callback sender (the officers' Telegram rows stay queued)."""
    return await deliver_due(services, ChannelRegistry([sender]))


async def test_the_filer_receives_accepted_then_resolved_in_order(services: Services) -> None:
    sender = Open311CallbackSender(services, gap=0)
    async with endpoint() as client, running_api(services) as api:
        info, key = await create_key(services, "fixmystreet", callback=client.url)
        case_id = await file_request(api, key)
        assert await client_rows(services) == []  # filing answers over HTTP; nothing is posted for it

        await officer_acts(api, cases.accept, case_id)
        assert await deliver(services, sender) == 1
        services.clock.advance(timedelta(minutes=5))  # type: ignore[attr-defined]
        await officer_acts(api, cases.resolve, case_id, AFTER, "Posters scraped off")
        assert await deliver(services, sender) == 2  # the before/after photos row posts nothing
        await sender.close()

    bodies = [body for _headers, body in client.posts]
    assert [(b["status"], b["status_notes"]) for b in bodies] == [
        ("open", "being handled"),
        ("closed", "resolved, waiting for the check: Posters scraped off"),
    ]
    assert {b["service_request_id"] for b in bodies} == {str(case_id)}
    assert {b["service_code"] for b in bodies} == {"0201"}
    assert bodies[0]["updated_datetime"] < bodies[1]["updated_datetime"]
    assert {h["X-Open311-Client"] for h, _body in client.posts} == {info.name}
    rows = await client_rows(services)
    assert [r.status for r in rows] == [DeliveryStatus.SENT] * 3 and {r.address for r in rows} == {str(info.id)}
    async with UnitOfWork(services.db) as uow:  # the officers' rows were left for the Telegram sender
        telegram = await uow.session.scalars(select(OutboxMessage.status).where(OutboxMessage.channel != "open311"))
        assert set(telegram) == {DeliveryStatus.PENDING}


async def test_a_server_error_is_retried_later_and_delivered_once(services: Services) -> None:
    sender = Open311CallbackSender(services, gap=0)
    clock = services.clock
    assert isinstance(clock, ManualClock)
    async with endpoint() as client, running_api(services) as api:
        _info, key = await create_key(services, "hotline-12345", callback=client.url)
        case_id = await file_request(api, key)
        await officer_acts(api, cases.accept, case_id)
        client.answers.append((500, {}))

        assert await deliver(services, sender) == 0
        (row,) = await client_rows(services)
        assert row.status == DeliveryStatus.PENDING and row.attempts == 1 and "answered 500" in (row.last_error or "")
        assert await deliver(services, sender) == 0 and len(client.posts) == 1  # not due before its backoff
        clock.advance(timedelta(seconds=services.config.outbox.backoff_base_seconds + 1))
        assert await deliver(services, sender) == 1
        assert await deliver(services, sender) == 0
        await sender.close()

    (row,) = await client_rows(services)
    assert row.status == DeliveryStatus.SENT and row.delivered == ["200"]
    assert len(client.posts) == 2  # the failed post and its one successful retry
    (first_headers, first), (again_headers, again) = client.posts
    assert first == again and first["status_notes"] == "being handled"
    assert first_headers["X-Citybot-Delivery"] == again_headers["X-Citybot-Delivery"] == str(row.id)


async def test_busy_clients_wait_and_refusals_fail_at_once(services: Services) -> None:
    sender = Open311CallbackSender(services, gap=0)
    clock = services.clock
    assert isinstance(clock, ManualClock)
    async with endpoint() as client, running_api(services) as api:
        _info, key = await create_key(services, "app-311", callback=client.url)
        case_id = await file_request(api, key)
        await officer_acts(api, cases.accept, case_id)
        client.answers += [(429, {"Retry-After": "30"}), (404, {})]

        assert await deliver(services, sender) == 0
        (row,) = await client_rows(services)
        assert row.status == DeliveryStatus.PENDING and row.attempts == 0  # flood control is not an attempt
        assert row.next_attempt_at == clock.now() + timedelta(seconds=30)
        clock.advance(timedelta(seconds=31))
        assert await deliver(services, sender) == 0
        await sender.close()

    (row,) = await client_rows(services)
    assert row.status == DeliveryStatus.FAILED and "answered 404" in (row.last_error or "")
    assert len(client.posts) == 2


async def test_a_revoked_key_gets_nothing_more(services: Services) -> None:
    sender = Open311CallbackSender(services, gap=0)
    async with endpoint() as client, running_api(services) as api:
        info, key = await create_key(services, "old-app", callback=client.url)
        case_id = await file_request(api, key)
        await officer_acts(api, cases.accept, case_id)
        await revoke_key(services, info.name)
        await officer_acts(api, cases.resolve, case_id, AFTER, "done")
        assert await deliver(services, sender) == 0
        await sender.close()

    assert client.posts == []
    (row,) = await client_rows(services)  # queued before the key was revoked, refused at delivery
    assert row.status == DeliveryStatus.FAILED and "revoked" in (row.last_error or "")


async def test_a_key_without_a_callback_gets_nothing_queued(services: Services) -> None:
    async with running_api(services) as api:
        case_id = await file_request(api, api.key)
        await officer_acts(api, cases.accept, case_id)
        await officer_acts(api, cases.resolve, case_id, AFTER, "Posters scraped off")
    assert await client_rows(services) == []


async def test_a_client_that_cannot_be_reached_is_retried(services: Services) -> None:
    sender = Open311CallbackSender(services, gap=0)
    async with running_api(services) as api:
        _info, key = await create_key(services, "gone", callback=f"http://127.0.0.1:{free_port()}/updates")
        case_id = await file_request(api, key)
        await officer_acts(api, cases.accept, case_id)
        assert await deliver(services, sender) == 0
        await sender.close()
    (row,) = await client_rows(services)
    assert row.status == DeliveryStatus.PENDING and row.attempts == 1
    assert "ClientConnectorError" in (row.last_error or "")


async def test_citybot_api_alone_posts_the_updates_itself(services: Services) -> None:
    from bot.cli_api import post_callbacks

    sender = Open311CallbackSender(services, gap=0)
    services.channels.register(sender)  # as `citybot api` does: no Telegram sender in that process
    async with endpoint() as client, running_api(services) as api:
        _info, key = await create_key(services, "hotline-12345", callback=client.url)
        case_id = await file_request(api, key)
        await officer_acts(api, cases.accept, case_id)
        loop = asyncio.create_task(post_callbacks(services))
        try:
            for _ in range(100):
                if client.posts:
                    break
                await asyncio.sleep(0.05)
        finally:
            loop.cancel()
            await sender.close()
    assert [body["status_notes"] for _headers, body in client.posts] == ["being handled"]
