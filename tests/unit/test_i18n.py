"""Catalogs: every message the code uses has a Chinese translation."""

from __future__ import annotations

from bot.i18n_tools import translated_messages, used_messages
from services.i18n import Translator, locale_for


def test_every_used_message_is_translated_to_chinese() -> None:
    missing = sorted(used_messages() - translated_messages("zh_CN"))
    assert missing == []


def test_language_code_picks_the_catalog() -> None:
    assert locale_for("zh-hans") == "zh_CN"
    assert locale_for("zh-TW") == "zh_CN"
    assert locale_for("en-GB") == "en"
    assert locale_for(None) == "en"


def test_translator_fills_placeholders_in_each_language() -> None:
    message = "I don't know the command {command}. Send /help for the list."
    assert Translator("zh_CN")(message, command="/foo") == "无法识别命令 /foo。发送 /help 查看命令列表。"
    assert Translator("en")(message, command="/foo") == "I don't know the command /foo. Send /help for the list."


def test_unknown_locale_falls_back_to_english() -> None:
    assert Translator("fr").locale == "en"
