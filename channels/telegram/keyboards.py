"""Choices as Telegram keyboards: inline buttons whose callback data is the choice's action token.

Telegram carries at most 64 bytes of callback data; a longer token is refused here rather than cut (a cut token
would name another action). The core keeps its tokens short; this is where that promise is checked.
"""

from __future__ import annotations

from collections.abc import Callable

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, KeyboardButton, ReplyKeyboardMarkup

from services.messages import Choice, Text

CALLBACK_DATA_MAX = 64


class TokenTooLong(ValueError):
    """An action token that does not fit Telegram's callback data."""


def callback_data(token: str) -> str:
    """The token as callback data; ``TokenTooLong`` when it would not fit."""
    if len(token.encode()) > CALLBACK_DATA_MAX:
        raise TokenTooLong(f"action token over {CALLBACK_DATA_MAX} bytes: {token!r}")
    return token


def inline_keyboard(
    choices: tuple[tuple[Choice, ...], ...], label: Callable[[Text], str]
) -> InlineKeyboardMarkup | None:
    """Rows of choices as inline buttons (``label`` renders a choice's text); None when there are none."""
    rows = [
        [InlineKeyboardButton(label(c.label), callback_data=callback_data(c.action)) for c in row] for row in choices
    ]
    rows = [row for row in rows if row]
    return InlineKeyboardMarkup(rows) if rows else None


def _button(choice: Choice, label: Callable[[Text], str]) -> InlineKeyboardButton:
    return InlineKeyboardButton(label(choice.label), callback_data=callback_data(choice.action))


def location_keyboard(label: str) -> ReplyKeyboardMarkup:
    """A reply keyboard whose one button shares the phone's location."""
    button = KeyboardButton(label, request_location=True)
    return ReplyKeyboardMarkup([[button]], resize_keyboard=True, one_time_keyboard=True)
