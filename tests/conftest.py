"""Shared fixtures: a network guard, databases (SQLite always, PostgreSQL when configured) and services."""

from __future__ import annotations

import ipaddress
import os
import socket
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("PTB_TIMEDELTA", "1")  # before telegram is imported: timedelta-valued durations

from models.db import Database
from models.migrate import upgrade
from services.clock import ManualClock
from services.config import load_config
from services.context import Services

POSTGRES_URL = os.environ.get("CITYBOT_TEST_POSTGRES_URL")
IN_CI = os.environ.get("CI", "").lower() == "true"
SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"

# ---------------------------------------------------------------- network guard
_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


def _is_local(address: Any) -> bool:
    if not isinstance(address, tuple):
        return True  # AF_UNIX paths
    host = str(address[0])
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


def _guarded_connect(self: socket.socket, address: Any) -> Any:
    if not _is_local(address):
        raise RuntimeError(f"tests may not reach the network (tried {address!r})")
    return _real_connect(self, address)


def _guarded_connect_ex(self: socket.socket, address: Any) -> Any:
    if not _is_local(address):
        raise RuntimeError(f"tests may not reach the network (tried {address!r})")
    return _real_connect_ex(self, address)


_real_getaddrinfo = socket.getaddrinfo


def _guarded_getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
    name = host.decode() if isinstance(host, bytes) else host
    if name is not None and not _is_local((name, 0)):
        raise RuntimeError(f"tests may not reach the network (tried to resolve {name!r})")
    return _real_getaddrinfo(host, *args, **kwargs)


def pytest_configure(config: pytest.Config) -> None:
    socket.getaddrinfo = _guarded_getaddrinfo
    socket.socket.connect = _guarded_connect  # type: ignore[method-assign]
    socket.socket.connect_ex = _guarded_connect_ex  # type: ignore[method-assign]


def require(condition: bool, reason: str) -> None:
    """Skip on a developer's machine, fail in CI: CI must run everything."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"CI must run this test: {reason}")
    pytest.skip(reason)


# ---------------------------------------------------------------- databases
@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    """A database URL (and connect args) for an empty database of each backend."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'citybot.db'}", {}
        return
    require(POSTGRES_URL is not None, "set CITYBOT_TEST_POSTGRES_URL to run PostgreSQL tests")
    assert POSTGRES_URL is not None
    schema = f"t_{uuid.uuid4().hex[:12]}"
    import asyncio

    import asyncpg

    plain = POSTGRES_URL.replace("postgresql+asyncpg://", "postgresql://")

    async def _exec(sql: str) -> None:
        conn = await asyncpg.connect(plain)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(_exec(f'CREATE SCHEMA "{schema}"'))
    try:
        yield POSTGRES_URL, {"server_settings": {"search_path": schema}}
    finally:
        asyncio.run(_exec(f'DROP SCHEMA "{schema}" CASCADE'))


@pytest.fixture
async def database(db_url: tuple[str, dict[str, Any]]) -> AsyncIterator[Database]:
    """A migrated database on each backend."""
    url, connect_args = db_url
    await upgrade(url, connect_args=connect_args)
    db = Database(url, connect_args=connect_args)
    try:
        yield db
    finally:
        await db.dispose()


@pytest.fixture
async def sqlite_database(tmp_path: Path) -> AsyncIterator[Database]:
    """A migrated SQLite database (for tests that do not need both backends)."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'citybot.db'}"
    await upgrade(url)
    db = Database(url)
    try:
        yield db
    finally:
        await db.dispose()


@pytest.fixture
def clock() -> ManualClock:
    """A clock that stands at Monday 2026-11-16 10:00 Beijing time until a test moves it."""
    return ManualClock(datetime(2026, 11, 16, 2, 0, tzinfo=UTC))


def make_services(db: Database, clock: ManualClock, tmp_path: Path) -> Services:
    """Services over ``db`` with the shipped configuration."""
    return Services.build(db, load_config(), clock, "Asia/Shanghai", tmp_path / "data")


@pytest.fixture
def services(database: Database, clock: ManualClock, tmp_path: Path) -> Services:
    """Services over a migrated database of each backend."""
    return make_services(database, clock, tmp_path)
