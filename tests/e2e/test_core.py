"""First contact through the sandbox: /start, /help, /lang, unknown commands and stale buttons."""

from __future__ import annotations

from sandbox.client import SandboxClient
from tests.e2e.conftest import RunningBot


async def test_start_greets_a_chinese_user_in_chinese(bot: RunningBot, client: SandboxClient) -> None:
    user = await client.create_user(first_name="李雷", language_code="zh-hans")
    await client.send_command(user, "/start")
    reply = await client.wait_for_message(user.chat_id)
    assert reply.text.startswith("李雷，您好！")
    assert "/help" in reply.text


async def test_start_greets_an_english_user_in_english(bot: RunningBot, client: SandboxClient) -> None:
    user = await client.create_user(first_name="Anna", language_code="en")
    await client.send_command(user, "/start")
    reply = await client.wait_for_message(user.chat_id)
    assert reply.text.startswith("Hello Anna!")


async def test_lang_switch_is_remembered(bot: RunningBot, client: SandboxClient) -> None:
    user = await client.create_user(first_name="Anna", language_code="en")
    await client.send_command(user, "/lang")
    picker = await client.wait_for_message(user.chat_id)
    assert picker.button_texts == ["中文", "English"]
    await client.press(user, picker, "中文")
    await client.wait_for_edit(user.chat_id, "已切换为中文")
    await client.send_command(user, "/start")
    reply = await client.wait_for_message(user.chat_id)
    assert reply.text.startswith("Anna，您好！")
    await client.send_command(user, "/lang", "en")
    assert (await client.wait_for_message(user.chat_id)).text == "Language set to English."


async def test_help_lists_citizen_commands_only_for_a_citizen(bot: RunningBot, client: SandboxClient) -> None:
    user = await client.create_user(first_name="Anna", language_code="en")
    await client.send_command(user, "/help")
    reply = await client.wait_for_message(user.chat_id)
    assert "/start" in reply.text and "/lang" in reply.text
    assert "/queue" not in reply.text  # a supervisor's command


async def test_unknown_command_gets_a_clear_answer(bot: RunningBot, client: SandboxClient) -> None:
    user = await client.create_user(first_name="王芳", language_code="zh")
    await client.send_command(user, "/frobnicate")
    reply = await client.wait_for_message(user.chat_id)
    assert reply.text == "无法识别命令 /frobnicate。发送 /help 查看命令列表。"


async def test_a_forged_button_is_refused_with_an_alert(bot: RunningBot, client: SandboxClient) -> None:
    user = await client.create_user(first_name="Anna", language_code="en")
    await client.send_command(user, "/lang")
    picker = await client.wait_for_message(user.chat_id)
    query_id = await client.press(user, picker, "lang:xx", forge=True)
    answer = await client.wait_for_answer(query_id)
    assert answer.text == "This button is no longer valid."
    assert answer.show_alert
