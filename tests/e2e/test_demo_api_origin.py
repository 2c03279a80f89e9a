"""A web page on another site cannot drive a running demo: no form posts, no foreign origin, no rebound name."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.demo import Demo, start_demo, stop_demo
from bot.demo_people import persona


@pytest.fixture
async def demo(tmp_path: Path) -> AsyncIterator[Demo]:
    running = await start_demo(tmp_path / "demo", port=0, jobs=False)
    try:
        yield running
    finally:
        await stop_demo(running)


async def send(demo: Demo, method: str, path: str, **options: Any) -> tuple[int, Any]:
    async with aiohttp.ClientSession() as http, http.request(method, demo.url + path, **options) as response:
        body = await response.json() if response.content_type == "application/json" else await response.text()
        return response.status, body


async def test_a_cross_site_form_post_does_not_move_the_clock(demo: Demo) -> None:
    before = demo.clock.offset
    status, body = await send(demo, "POST", "/demo/api/clock", data={"step": "monday"})
    assert (status, body["description"]) == (415, "Unsupported Media Type: send a JSON body")
    status, _ = await send(demo, "POST", "/demo/api/clock?step=monday")  # no body at all
    assert status == 415
    assert demo.clock.offset == before  # the demo's time was not moved


async def test_a_request_from_another_origin_is_refused_even_as_json(demo: Demo) -> None:
    before = demo.clock.offset
    evil = {"Origin": "http://evil.example"}
    status, body = await send(demo, "POST", "/demo/api/clock", json={"step": "day"}, headers=evil)
    assert (status, body["description"]) == (403, "Forbidden: cross-site requests are not accepted")
    # The sandbox's control API behind the demo is covered too: a page cannot type as a persona.
    citizen = persona("citizen")
    status, _ = await send(
        demo, "POST", f"/sandbox/api/users/{citizen.telegram_id}/text", data={"text": "/start"}, headers=evil
    )
    assert status == 403
    assert demo.clock.offset == before  # the demo's time was not moved


async def test_a_foreign_host_name_is_refused(demo: Demo) -> None:
    # DNS rebinding: a page's own name, pointed at this machine, sends its own Host and Origin.
    rebound = {"Host": "evil.example:8080", "Origin": "http://evil.example:8080"}
    status, _ = await send(demo, "POST", "/demo/api/clock", json={"step": "day"}, headers=rebound)
    assert status == 403
    status, _ = await send(demo, "GET", "/demo/api/bootstrap", headers={"Host": "evil.example:8080"})
    assert status == 403


async def test_the_page_itself_still_works(demo: Demo) -> None:
    before = demo.clock.offset
    own = {"Origin": demo.url}
    status, body = await send(demo, "POST", "/demo/api/clock", json={"step": "hour"}, headers=own)
    assert status == 200, body
    assert demo.clock.offset > before
    status, _ = await send(demo, "GET", "/demo/api/bootstrap?lang=en", headers={"Host": "localhost"})
    assert status == 200
