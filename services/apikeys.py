"""API keys of the systems that file cases over the Open311 API, and each key's request rate limit.

A key is 32 random bytes, so a plain SHA-256 is enough to store it (a slow password hash protects guessable
secrets; nobody guesses 256 random bits) and lets a request find its key by one indexed look-up. The key itself
is shown once, when it is made.
"""

from __future__ import annotations

import hashlib
import math
import re
import secrets
from collections import deque
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models.apikeys import ApiKey
from models.uow import UnitOfWork
from services.context import Services
from services.users import user_by_identity

KEY_PREFIX = "c311_"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_RATE = re.compile(r"^\s*(\d+)\s*/\s*(s|sec|second|m|min|minute|h|hour|d|day)\s*$", re.IGNORECASE)
_PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


class ApiKeyError(ValueError):
    """An operator's request about keys that cannot be done (the message says why)."""


@dataclass(frozen=True)
class KeyInfo:
    """A key as the operator and the API see it, never the key itself."""

    id: int
    name: str
    prefix: str
    rate_limit: int
    rate_seconds: int
    created_at: datetime
    revoked_at: datetime | None
    callback_url: str | None = None

    @property
    def rate(self) -> str:
        """The limit as written on the command line, e.g. ``60/min``."""
        unit = {1: "s", 60: "min", 3600: "h", 86400: "day"}.get(self.rate_seconds, f"{self.rate_seconds}s")
        return f"{self.rate_limit}/{unit}"

    @property
    def source(self) -> str:
        """The source label of the cases this key files."""
        return f"open311:{self.name}"


def parse_rate(text: str) -> tuple[int, int]:
    """``"60/min"`` → (60, 60): requests and the period in seconds; ``ApiKeyError`` if unreadable."""
    found = _RATE.match(text)
    if found is None or int(found.group(1)) < 1:
        raise ApiKeyError(f"rate {text!r} is not like 60/min (per s, min, h or day, at least 1)")
    return int(found.group(1)), _PERIODS[found.group(2)[0].lower()]


def check_callback(url: str) -> str:
    """``url`` if it can receive status updates (an absolute http or https URL); ``ApiKeyError`` if not."""
    wrong = len(url) > 500 or any(c.isspace() for c in url)
    try:
        parts = urlsplit(url)
        wrong = wrong or parts.scheme not in ("http", "https") or not parts.hostname
        _port = parts.port  # raises for a port that is not a number from 0 to 65535
    except ValueError:
        wrong = True
    if wrong:
        raise ApiKeyError(f"callback {url!r} is not an http:// or https:// URL with a host (at most 500 characters)")
    return url


def hash_key(key: str) -> str:
    """The stored form of a key."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def _info(row: ApiKey) -> KeyInfo:
    return KeyInfo(
        row.id,
        row.name,
        row.prefix,
        row.rate_limit,
        row.rate_seconds,
        row.created_at,
        row.revoked_at,
        row.callback_url,
    )


async def create_key(
    services: Services, name: str, rate: str = "60/min", callback: str | None = None
) -> tuple[KeyInfo, str]:
    """Make a key named ``name`` (status updates posted to ``callback``, if given); returns it with the key itself
    (shown once, never stored)."""
    from services.filing import client_reporter  # the reporter its cases will have, made with the key

    if not _NAME.match(name):
        raise ApiKeyError(f"name {name!r} must be 1-64 letters, digits, '.', '_' or '-'")
    limit, seconds = parse_rate(rate)
    if callback is not None:
        check_callback(callback)
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    now = services.clock.now()
    async with UnitOfWork(services.db) as uow:
        if await uow.session.scalar(select(ApiKey.id).where(ApiKey.name == name)) is not None:
            raise ApiKeyError(f"there is already a key named {name!r} (names stay with the cases they filed)")
        row = ApiKey(
            name=name,
            key_hash=hash_key(key),
            prefix=key[: len(KEY_PREFIX) + 4],
            rate_limit=limit,
            rate_seconds=seconds,
            created_at=now,
            callback_url=callback,
        )
        uow.session.add(row)
        await uow.session.flush()
        await client_reporter(uow.session, row.id, name, now, callback=callback is not None)
        await uow.commit()
    return _info(row), key


async def list_keys(services: Services) -> list[KeyInfo]:
    """Every key, oldest first, revoked ones included."""
    async with UnitOfWork(services.db) as uow:
        return [_info(row) for row in await uow.session.scalars(select(ApiKey).order_by(ApiKey.id))]


async def revoke_key(services: Services, name: str) -> KeyInfo:
    """Stop the key named ``name`` from working (its cases keep their source)."""
    async with UnitOfWork(services.db) as uow:
        row = await uow.session.scalar(select(ApiKey).where(ApiKey.name == name))
        if row is None:
            raise ApiKeyError(f"there is no key named {name!r}; see `citybot apikeys list`")
        if row.revoked_at is None:
            row.revoked_at = services.clock.now()
            await _stop_callbacks(uow.session, row.id)
            await uow.commit()
        return _info(row)


async def _stop_callbacks(session: AsyncSession, key_id: int) -> None:
    """Queue no more status updates for a revoked key's client (rows already queued are refused at delivery)."""
    from services.filing import CLIENT_CHANNEL

    user = await user_by_identity(session, CLIENT_CHANNEL, key_id)
    if user is not None:
        user.contact_channel = user.contact_address = None


async def key_by_id(services: Services, key_id: int) -> KeyInfo | None:
    """The key with this id (revoked or not), None if there is none."""
    async with UnitOfWork(services.db) as uow:
        row = await uow.session.get(ApiKey, key_id)
        return _info(row) if row is not None else None


async def key_for(session: AsyncSession, key: str) -> KeyInfo | None:
    """The live key ``key`` is, or None for an unknown or revoked one."""
    if not key.startswith(KEY_PREFIX) or len(key) > 100:
        return None
    row = await session.scalar(select(ApiKey).where(ApiKey.key_hash == hash_key(key)))
    return None if row is None or row.revoked_at is not None else _info(row)


async def authenticate(services: Services, key: str) -> KeyInfo | None:
    """``key_for`` in a unit of work of its own."""
    async with UnitOfWork(services.db) as uow:
        return await key_for(uow.session, key)


class RateLimiter:
    """A sliding-window limit per key, in this process's memory (each API process counts its own requests)."""

    def __init__(self) -> None:
        self._seen: dict[int, deque[float]] = {}

    def retry_after(self, key: KeyInfo, now: float) -> int | None:
        """Count a request of ``key`` at ``now`` (seconds); None if allowed, else whole seconds to wait."""
        window = self._seen.setdefault(key.id, deque())
        while window and window[0] <= now - key.rate_seconds:
            window.popleft()
        if len(window) >= key.rate_limit:
            return max(1, math.ceil(window[0] + key.rate_seconds - now))
        window.append(now)
        return None
