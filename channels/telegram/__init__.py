"""The Telegram adapter: PTB handlers that parse updates into the conversation service's events, and the renderer
that turns its replies into Bot API calls (keyboards, edits, alerts, Telegram's limits)."""

from __future__ import annotations

from typing import Any

from telegram.ext import Application

from channels.telegram.handlers import TelegramHandlers
from services.conversation import Conversation


def register(app: Application[Any, Any, Any, Any, Any, Any], conversation: Conversation) -> TelegramHandlers:
    """Let ``app`` hand every message and button press to ``conversation``."""
    handlers = TelegramHandlers(conversation)
    handlers.register(app)
    return handlers


__all__ = ["TelegramHandlers", "register"]
