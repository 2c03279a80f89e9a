"""Engine and session factory, built by the composition root (never at import time)."""

from __future__ import annotations

import sqlite3
from collections import deque
from collections.abc import Iterable
from typing import Any

import aiosqlite
from aiosqlite.context import contextmanager
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.pool import NullPool

#: Seconds a writer waits for SQLite's write lock before failing.
SQLITE_BUSY_SECONDS = 30


class Database:
    """One engine and its session factory for a database URL."""

    def __init__(self, url: str, *, echo: bool = False, connect_args: dict[str, Any] | None = None) -> None:
        self.url = make_url(url)
        kwargs: dict[str, Any] = {"echo": echo, "connect_args": dict(connect_args or {})}
        in_memory = self.url.database in (None, "", ":memory:")
        if self.is_sqlite:
            # WAL lets readers run beside the writer; the busy timeout makes writers queue instead of failing.
            kwargs["connect_args"].setdefault("timeout", SQLITE_BUSY_SECONDS)
            if in_memory:
                kwargs["poolclass"] = NullPool
        else:
            kwargs.update(pool_size=10, max_overflow=10, pool_pre_ping=True)
        self._connect_args: dict[str, Any] = kwargs["connect_args"]
        if self.is_sqlite and not self.url.query:
            kwargs["async_creator"] = self._connect_sqlite
        self.engine: AsyncEngine = create_async_engine(self.url, **kwargs)
        if self.is_sqlite:
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False, autoflush=True)

    @property
    def is_sqlite(self) -> bool:
        """Whether this is the embedded SQLite database."""
        return self.url.get_backend_name() == "sqlite"

    async def _connect_sqlite(self) -> aiosqlite.Connection:
        """Like the dialect's own connect, with cursors that make one trip per statement (see OneTripCursor)."""
        args, params = self.engine.dialect.create_connect_args(self.url)
        params.update(self._connect_args)
        return await OneTripConnection.open(*args, **params)

    async def dispose(self) -> None:
        """Close every pooled connection."""
        await self.engine.dispose()


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


class OneTripCursor(aiosqlite.Cursor):
    """An aiosqlite cursor that runs a statement, fetches its rows and closes in one trip to the thread.

    The stock cursor makes four trips per statement (create, execute, fetch, close), each a hand-over to the
    connection's thread and back through the event loop; under load those waits, not SQLite, were most of a
    statement's time (and a writer holds the database lock through all of them). Rows are kept here and
    handed out without further trips; ``description``, ``rowcount`` and ``lastrowid`` are kept likewise.
    """

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self.iter_chunk_size = conn._iter_chunk_size
        self._conn = conn
        self._rows: deque[Any] = deque()
        self._description: Any = None
        self._rowcount = -1
        self._lastrowid: int | None = None
        self._arraysize = 1

    async def _run(self, method: str, *args: Any) -> OneTripCursor:
        def run() -> tuple[Any, int, int | None, list[Any]]:
            cursor = self._conn._conn.cursor()
            try:
                getattr(cursor, method)(*args)
                rows = cursor.fetchall() if cursor.description else []
                return cursor.description, cursor.rowcount, cursor.lastrowid, rows
            finally:
                cursor.close()

        self._description, self._rowcount, self._lastrowid, rows = await self._conn._execute(run)
        self._rows = deque(rows)
        return self

    async def execute(self, sql: str, parameters: Iterable[Any] | None = None) -> OneTripCursor:
        """Run ``sql`` and keep its rows."""
        return await self._run("execute", sql, [] if parameters is None else parameters)

    async def executemany(self, sql: str, parameters: Iterable[Iterable[Any]]) -> OneTripCursor:
        """Run ``sql`` once per parameter set."""
        return await self._run("executemany", sql, parameters)

    async def executescript(self, sql_script: str) -> OneTripCursor:
        """Run a script of statements."""
        return await self._run("executescript", sql_script)

    async def fetchone(self) -> Any:
        """The next kept row, or None."""
        return self._rows.popleft() if self._rows else None

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        """Up to ``size`` (default ``arraysize``) kept rows."""
        count = min(len(self._rows), self._arraysize if size is None else size)
        return [self._rows.popleft() for _ in range(count)]

    async def fetchall(self) -> list[Any]:
        """Every kept row not handed out yet."""
        rows, self._rows = list(self._rows), deque()
        return rows

    async def close(self) -> None:
        """Forget the kept rows (the SQLite cursor is closed already)."""
        self._rows.clear()

    @property
    def rowcount(self) -> int:
        """Rows changed by the last statement."""
        return self._rowcount

    @property
    def lastrowid(self) -> int | None:
        """The row id of the last inserted row."""
        return self._lastrowid

    @property
    def arraysize(self) -> int:
        """Rows ``fetchmany`` hands out by default."""
        return self._arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._arraysize = value

    @property
    def description(self) -> Any:
        """The last statement's columns."""
        return self._description


class OneTripConnection(aiosqlite.Connection):
    """An aiosqlite connection whose cursors are ``OneTripCursor``."""

    @classmethod
    async def open(cls, database: str, **params: Any) -> OneTripConnection:
        """Start the connection's thread and connect, as ``aiosqlite.connect`` does."""
        connection = cls(lambda: sqlite3.connect(database, **params), 64)
        connection._thread.daemon = True  # like the dialect's own connections: never keeps the process alive
        await connection
        return connection

    @contextmanager
    async def cursor(self) -> OneTripCursor:  # type: ignore[override]
        """A cursor; creating it needs no trip to the thread."""
        return OneTripCursor(self)
