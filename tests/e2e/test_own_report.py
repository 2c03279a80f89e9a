"""An officer who reports a problem in their own grid and fixes it is not asked to confirm it; the supervisor is."""

from __future__ import annotations

from sandbox.client import SandboxClient
from tests.e2e.conftest import RunningBot
from tests.e2e.test_officer_flow import CATEGORY, card, flush, staffed_city, status
from tests.e2e.test_report_flow import INSIDE, jpeg, report


async def test_the_supervisor_checks_an_officers_own_report(bot: RunningBot, client: SandboxClient) -> None:
    city = await staffed_city(bot, client)
    await report(client, city.officer_b, category=CATEGORY, where=INSIDE)
    await flush(bot)
    own = await card(client, city.officer_b, 1)
    await client.press(city.officer_b, own, "Resolve")
    await client.wait_for_message(city.officer_b.chat_id, "Send a photo of the fixed place")
    await client.send_photo(city.officer_b, jpeg(), caption="Cleaned")
    done = await client.wait_for_message(city.officer_b.chat_id, "is resolved")
    assert done.text == "Case #1 is resolved. You reported it yourself, so its supervisor checks it instead of you."
    await flush(bot)
    assert not any("Fixed" in m.button_texts for m in await client.bot_messages(city.officer_b.chat_id))
    notice = await client.wait_for_message(city.boss.chat_id, "resolved by the officer who reported it")
    assert "/close #1 <note>" in notice.text
    # A forged "Fixed" from the officer changes nothing.
    query = await client.press(city.officer_b, done, "case:fixed:1", forge=True)
    assert (await client.wait_for_answer(query)).text.startswith("You handled case #1 yourself")
    assert (await status(bot, 1)).status == "resolved"
    await client.send_command(city.boss, "/close", "1", "checked", "on", "my", "round")
    await client.wait_for_message(city.boss.chat_id, "closed")
    assert (await status(bot, 1)).status == "closed"
