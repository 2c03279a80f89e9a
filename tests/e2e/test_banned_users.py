"""A banned person: refused in their language, and nothing they send is fetched or stored."""

from __future__ import annotations

from channels.telegram import CHANNEL as TELEGRAM
from sandbox.client import SandboxClient
from sandbox.server import SandboxServer
from services.users_admin import UserRef, set_banned
from tests.e2e.conftest import RunningBot
from tests.e2e.test_report_flow import jpeg

BANNED_ZH = "您的账号已被限制上报，发送的任何内容都不会被受理。"


async def test_an_image_file_from_a_banned_user_is_refused_and_never_downloaded(
    bot: RunningBot, client: SandboxClient, sandbox: SandboxServer
) -> None:
    li = await client.create_user(first_name="李雷", language_code="zh-hans")
    assert bot.services is not None
    await set_banned(bot.services, UserRef.account(TELEGRAM, li.id), True)  # before they ever wrote
    sent = await client.send_document(li, jpeg(), "street.jpg", "image/jpeg")
    assert (await client.wait_for_message(li.chat_id)).text == BANNED_ZH
    stored = sandbox.state.files.get(sent.raw["document"]["file_id"])
    assert stored.downloads == 0


async def test_after_an_unban_the_same_file_is_taken(
    bot: RunningBot, client: SandboxClient, sandbox: SandboxServer
) -> None:
    anna = await client.create_user(first_name="Anna", language_code="en")
    assert bot.services is not None
    await set_banned(bot.services, UserRef.account(TELEGRAM, anna.id), True)
    await set_banned(bot.services, UserRef.account(TELEGRAM, anna.id), False)
    sent = await client.send_document(anna, jpeg(), "street.jpg", "image/jpeg")
    assert (await client.wait_for_message(anna.chat_id)).text.startswith("📷 Got it: 1/5 photos.")
    assert sandbox.state.files.get(sent.raw["document"]["file_id"]).downloads == 1
