"""Engine and session factory, built by the composition root (never at import time)."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import weakref
from collections import deque
from collections.abc import Iterable
from typing import Any

import aiosqlite
from aiosqlite.context import contextmanager
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.pool import NullPool

log = logging.getLogger(__name__)

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
        # Each in-memory connection is a database of its own: there is no lock to share.
        self._write_gate = None if in_memory else WriteGate()
        if self.is_sqlite and not self.url.query:
            kwargs["async_creator"] = self._connect_sqlite
        self.engine: AsyncEngine = create_async_engine(self.url, **kwargs)
        if self.is_sqlite:
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False, autoflush=True)
        self._quick: sqlite3.Connection | None = None

    @property
    def is_sqlite(self) -> bool:
        """Whether this is the embedded SQLite database."""
        return self.url.get_backend_name() == "sqlite"

    async def _connect_sqlite(self) -> aiosqlite.Connection:
        """Like the dialect's own connect, with cursors that make one trip per statement (see OneTripCursor)."""
        args, params = self.engine.dialect.create_connect_args(self.url)
        params.update(self._connect_args)
        return await OneTripConnection.open(*args, gate=self._write_gate, **params)

    def quick_reader(self) -> sqlite3.Connection | None:
        """For SQLite files: a read-only connection for tiny reads on a hot path (an index look-up such as
        ``max(id)``), run in the calling thread without the pool's and the worker thread's round trips; None
        elsewhere (use a pooled connection then)."""
        if not self.is_sqlite or self.url.database in (None, "", ":memory:"):
            return None
        if self._quick is None:
            uri = f"file:{self.url.database}?mode=ro"
            # Readers do not wait in WAL mode; the short timeout only covers SQLite's rare recovery moments.
            self._quick = sqlite3.connect(uri, uri=True, timeout=1.0, isolation_level=None, check_same_thread=False)
        return self._quick

    async def dispose(self) -> None:
        """Close every pooled connection."""
        if self._quick is not None:
            self._quick.close()
            self._quick = None
        await self.engine.dispose()


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    # A sweep or a busy minute dirties more pages than SQLite's default 2 MiB cache holds.
    cursor.execute("PRAGMA cache_size=-16000")
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
        conn = self._conn
        assert isinstance(conn, OneTripConnection)
        head = str(args[0]).lstrip()[:9].upper()
        if not head.startswith(_READS):
            await conn.enter_gate()
        # The sqlite3 module begins a transaction before a write, but not before a SAVEPOINT: one outside a
        # transaction would start its own, and its RELEASE would commit everything the unit of work did so far.
        begin_first = head.startswith("SAVEPOINT")

        in_transaction = [True]

        def run() -> tuple[Any, int, int | None, list[Any]]:
            cursor = conn._conn.cursor()
            try:
                if begin_first and not conn._conn.in_transaction:
                    cursor.execute("BEGIN")
                getattr(cursor, method)(*args)
                rows = cursor.fetchall() if cursor.description else []
                return cursor.description, cursor.rowcount, cursor.lastrowid, rows
            finally:
                in_transaction[0] = conn._conn.in_transaction
                cursor.close()

        try:
            self._description, self._rowcount, self._lastrowid, rows = await conn._execute(run)
        finally:
            conn.may_be_in_transaction = in_transaction[0]
            if not in_transaction[0]:
                conn.leave_gate()  # autocommit, or a statement that wrote nothing: no lock is held
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
    """An aiosqlite connection whose cursors are ``OneTripCursor`` and whose writers pass a ``WriteGate``.

    It also knows whether SQLite is inside a transaction, as SQLite said after the last statement, so a commit or
    rollback with nothing to end (a turn that only read; the pool's reset after every commit) makes no trip.
    """

    _gate: WriteGate | None = None
    _held: asyncio.Lock | None = None
    #: Whether SQLite may be inside a transaction: True unless a statement, commit or rollback just said no.
    may_be_in_transaction = True

    @classmethod
    async def open(cls, database: str, *, gate: WriteGate | None = None, **params: Any) -> OneTripConnection:
        """Start the connection's thread and connect, as ``aiosqlite.connect`` does."""
        connection = cls(lambda: sqlite3.connect(database, **params), 64)
        connection._gate = gate
        connection._thread.daemon = True  # like the dialect's own connections: never keeps the process alive
        await connection
        return connection

    @contextmanager
    async def cursor(self) -> OneTripCursor:  # type: ignore[override]
        """A cursor; creating it needs no trip to the thread."""
        return OneTripCursor(self)

    async def enter_gate(self) -> None:
        """Before a statement that may write: wait for this process's other writers to finish."""
        if self._gate is not None and self._held is None:
            self._held = await self._gate.acquire()

    def leave_gate(self) -> None:
        """The transaction ended: let the next writer in."""
        held, self._held = self._held, None
        if held is not None:
            held.release()

    async def _execute(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        """Run ``fn`` on the connection's thread; whatever it is, it may begin a transaction."""
        self.may_be_in_transaction = True
        return await super()._execute(fn, *args, **kwargs)

    async def commit(self) -> None:
        """Commit (if a transaction may be open), then let the next writer in."""
        try:
            if self.may_be_in_transaction:
                await super().commit()
                self.may_be_in_transaction = False
        finally:
            self.leave_gate()

    async def rollback(self) -> None:
        """Roll back (if a transaction may be open), then let the next writer in."""
        try:
            if self.may_be_in_transaction:
                await super().rollback()
                self.may_be_in_transaction = False
        finally:
            self.leave_gate()

    async def close(self) -> None:
        """Close; a transaction still open is rolled back by SQLite, so let the next writer in."""
        try:
            await super().close()
        finally:
            self.leave_gate()

    def stop(self) -> asyncio.Future[Any] | None:
        """Stop the thread (a connection terminated by the pool); let the next writer in."""
        self.leave_gate()
        return super().stop()


# Statements that never start a write; anything else passes the gate first (and leaves it at once if it
# turns out to have started no transaction).
_READS = ("SELECT", "PRAGMA", "SAVEPOINT", "RELEASE", "ROLLBACK", "COMMIT", "BEGIN", "EXPLAIN")


class WriteGate:
    """Queues one process's SQLite writers in the event loop, in arrival order, one transaction at a time.

    SQLite has one write lock per database file. A writer that finds it taken sleeps in SQLite's busy handler
    for growing intervals (up to 100 ms each) and so usually wakes well after the lock came free; with many
    chats at once, turns spent most of their time in those sleeps. Here a transaction's first write waits on
    an asyncio lock instead and is woken as soon as the previous writer has committed or rolled back. Reads
    never wait; other processes still meet SQLite's own locking and busy timeout.
    """

    def __init__(self) -> None:
        self._locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = weakref.WeakKeyDictionary()

    async def acquire(self) -> asyncio.Lock | None:
        """Wait for the gate; returns the lock to release, or None when waiting took too long."""
        loop = asyncio.get_running_loop()
        lock = self._locks.get(loop)
        if lock is None:
            lock = self._locks[loop] = asyncio.Lock()
        try:
            await asyncio.wait_for(lock.acquire(), SQLITE_BUSY_SECONDS)
        except TimeoutError:
            # Something holds the gate far too long: go on and let SQLite's own busy timeout decide.
            log.warning("waited %s s for the SQLite write gate; trying without it", SQLITE_BUSY_SECONDS)
            return None
        return lock
