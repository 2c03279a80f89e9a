"""A request filed over the Open311 API reaches the grid officer in Telegram; the officer resolves it in the
chat as usual, and the API then reads it closed with the officer's note."""

from __future__ import annotations

import aiohttp

from bot.servers import Site
from channels.open311.server import open311_app
from sandbox.client import SandboxClient
from services.apikeys import create_key
from tests.e2e.conftest import RunningBot
from tests.e2e.test_officer_flow import card, flush, resolve_with_photo, staffed_city
from tests.e2e.test_report_flow import INSIDE, jpeg


async def test_a_request_filed_over_http_is_handled_in_telegram_and_reads_closed(
    bot: RunningBot, client: SandboxClient
) -> None:
    city = await staffed_city(bot, client)
    services = bot.services
    assert services is not None
    _info, key = await create_key(services, "hotline-12345")
    site = Site("Open311 API", open311_app(services))
    api = f"{await site.start()}/open311/v2"
    try:
        async with aiohttp.ClientSession() as http:
            form = aiohttp.FormData(
                {"api_key": key, "service_code": "0201", "lat": str(INSIDE[0]), "long": str(INSIDE[1]),
                 "description": "Posters on the bus stop", "email": "caller@example.org", "first_name": "Hong"}
            )  # fmt: skip
            form.add_field("media", jpeg(), filename="stop.jpg", content_type="image/jpeg")
            async with http.post(f"{api}/requests.json", data=form) as resp:
                assert resp.status == 200
                request_id = (await resp.json())[0]["service_request_id"]
            case_id = int(request_id)

            await flush(bot)
            for officer in (city.officer_a, city.officer_b):  # both officers of G-1 get photo, pin and card
                action_card = await card(client, officer, case_id)
                assert "Posters on the bus stop" in action_card.text
                photo, pin = (await client.bot_messages(officer.chat_id))[-3:-1]
                assert photo.file_id is not None and f"#{case_id}" in photo.text and "location" in pin.raw
                shown = str([m.raw for m in await client.bot_messages(officer.chat_id)])
                assert "caller@example.org" not in shown and "Hong" not in shown
            assert [m for m in await client.bot_messages(city.officer_c.chat_id) if f"#{case_id}" in m.text] == []

            pressed = await client.press(city.officer_b, await card(client, city.officer_b, case_id), "Accept")
            assert (await client.wait_for_answer(pressed)).text == f"You accepted case #{case_id}."
            async with http.get(f"{api}/requests/{request_id}.json") as resp:
                accepted = (await resp.json())[0]
            assert accepted["status"] == "open" and accepted["status_notes"] == "being handled"

            await resolve_with_photo(client, city.officer_b, case_id, "Posters scraped off")
            await flush(bot)
            async with http.get(f"{api}/requests/{request_id}.json") as resp:
                done = (await resp.json())[0]
            async with http.get(f"{api}/requests.xml?status=closed") as resp:
                closed_xml = await resp.text()
    finally:
        await site.stop()
    assert done["status"] == "closed"
    assert done["status_notes"] == "resolved, waiting for the check: Posters scraped off"
    assert done["agency_responsible"] == "东华门网格一"
    assert done["updated_datetime"] >= done["requested_datetime"]
    assert f"<service_request_id>{request_id}</service_request_id><status>closed</status>" in closed_xml
