"""Keep secrets out of what ``citybot`` prints and logs: the bot token, the webhook secret, the database password.

Libraries put them in messages (PTB's "The token `…` was rejected by the server", request URLs with the token in
their path, connection errors), so redaction happens where text leaves the process: the log formatter and the
command line's last-resort error handler.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from urllib.parse import quote

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from bot.settings import Settings

MASK = "***"
#: Shorter strings would mask ordinary words; no real token, secret or password is this short.
_MIN_SECRET = 4
_URL_PASSWORD = re.compile(r"://[^/:@]*:([^/@]*)@")


class Redactor:
    """Replaces every known secret in a text with ``***``."""

    def __init__(self, secrets: Iterable[str | None]) -> None:
        found = {s for s in secrets if s and len(s) >= _MIN_SECRET}
        found |= {quote(s, safe="") for s in found}  # as it appears inside a URL
        self._secrets = sorted(found, key=len, reverse=True)

    @classmethod
    def for_settings(cls, settings: Settings) -> Redactor:
        """A redactor for this deployment's token, webhook secret and database password."""
        return cls([settings.telegram_token, settings.webhook_secret, *database_passwords(settings.database_url)])

    def __call__(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, MASK)
        return text


def database_passwords(url: str) -> list[str]:
    """The password in a database URL, as written and decoded (empty when there is none)."""
    written = [m.group(1) for m in _URL_PASSWORD.finditer(url)]
    try:
        decoded = make_url(url).password
    except (ArgumentError, ValueError):
        decoded = None
    return [p for p in (*written, decoded) if p]


def safe_url(url: str) -> str:
    """A database URL fit to print: the password replaced by ``***``."""
    return Redactor(database_passwords(url))(url)


class RedactingFormatter(logging.Formatter):
    """A log formatter whose output, tracebacks included, has every secret masked."""

    def __init__(self, redact: Redactor, fmt: str | None = None) -> None:
        super().__init__(fmt)
        self._redact = redact

    def format(self, record: logging.LogRecord) -> str:
        """The formatted record, redacted."""
        return self._redact(super().format(record))
