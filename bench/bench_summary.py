"""Benchmark the weekly summary: SQL aggregation over 1M cases, and a broadcast through the rate-limited sandbox.

Run: ``python -m bench.bench_summary`` (about 6 minutes on 2 cores; ``BENCH_SUMMARY_CASES`` and
``BENCH_SUMMARY_SUBSCRIBERS`` change the sizes). The broadcast goes to 10,000 subscribers by default (about seven
minutes at Telegram's 30 messages/s); ``BENCH_SUMMARY_SUBSCRIBERS=2000`` gives a quicker, smaller run.

The city: 1 district, 10 streets, 100 communities, 1,000 grids; 20,000 reporters (10% on the leaderboard);
cases spread evenly over the 104 weeks up to 2026-W47 (about 9,600 a week), most of them closed.

Aggregation on SQLite (best of 3; the all-history run once), beside baselines measured on the same database:
- the weekly summary of 2026-W47 (every KPI, per unit at every level, the week before, categories, leaderboard);
- the same counts over the whole two years, i.e. every case in the table (the worst case);
- one plain full scan of the table, ``SELECT sum(rework_count) FROM cases`` (SQLite answers a bare ``count(*)``
  from the smallest index, without reading the rows);
- the obvious Python way: fetch the cases and count them in a loop (a 100k sample, scaled to the table).

Broadcast: the subscribers (70% city-wide, 20% a street, 10% a community; 70% Chinese) are queued for 2026-W47
and delivered by the outbox sender (``deliver_due`` with the shipped outbox settings, through PTB) to the sandbox
running in its own process with Telegram's flood limits enforced (30 messages/s per bot, 1/s per chat, 429 with
retry_after beyond). Each recipient's message is the chart (a PNG uploaded from disk) with the report as caption.
The rate is Telegram messages (a row is the chart, and the report after it when it is too long for a caption) over
the wall time from the first send to the last; the sandbox's event feed counts every
chat's messages to find duplicates and losses.
"""

from __future__ import annotations

import asyncio
import os
import random
import sqlite3
import statistics
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import select, text
from telegram import Bot
from telegram.request import HTTPXRequest

from bench.harness import sandbox_process, timed_runs
from channels.telegram.limits import MAX_CAPTION, MAX_TEXT, split_text, utf16_length
from channels.telegram.sender import TelegramSender
from models.cases import Case
from models.db import Database
from models.migrate import upgrade
from models.outbox import DeliveryStatus, OutboxMessage
from sandbox.client import SandboxClient
from services.clock import OffsetClock
from services.config import load_config
from services.context import Services
from services.delivery import deliver_due
from services.messages import from_json
from services.summary.broadcast import queue_week
from services.summary.compute import compute_summary
from services.summary.kpis import chain_categories, chain_counts
from services.summary.weeks import IsoWeek

CASES = int(os.environ.get("BENCH_SUMMARY_CASES", 1_000_000))
SUBSCRIBERS = int(os.environ.get("BENCH_SUMMARY_SUBSCRIBERS", 10_000))
WEEK = IsoWeek(2026, 47)
BEIJING = ZoneInfo("Asia/Shanghai")
WEEKS = 104
REPORTERS = 20_000
LOOP_SAMPLE = 100_000
REPEATS = 5
TOKEN = "777000:bench-summary"
#: The summary is computed as if it were Monday 2026-11-23 09:00 in Beijing.
NOW = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
CATEGORIES = ["0201", "0201", "0201", "0204", "0102", "0102", "0103", "0505", "0506", "0504", "0507", "99"]


def _stamp(ts: float | None) -> str | None:
    # SQLAlchemy's SQLite text format for DateTime, so string comparison orders as time does.
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


def _stamps(seconds: np.ndarray, keep: np.ndarray) -> list[str | None]:
    """Epoch seconds as SQLAlchemy's SQLite DateTime text (so text order is time order); None where not ``keep``."""
    text = np.char.replace(np.datetime_as_string((seconds * 1e6).astype("datetime64[us]"), unit="us"), "T", " ")
    return [value if kept else None for value, kept in zip(text.tolist(), keep.tolist(), strict=True)]


def _flags(values: np.ndarray, keep: np.ndarray) -> list[int | None]:
    return [int(v) if k else None for v, k in zip(values.tolist(), keep.tolist(), strict=True)]


def case_rows(first: int, count: int, rng: np.random.Generator, start: float, end: float) -> list[tuple[Any, ...]]:
    """``count`` cases from id ``first``, reported in order between ``start`` and ``end`` (epoch seconds)."""
    now = NOW.timestamp()
    reported = np.sort(rng.uniform(start, end, count))
    roll = rng.random(count)
    duplicate, rejected = roll < 0.04, (roll >= 0.04) & (roll < 0.07)
    valid = roll >= 0.07
    dispatched = reported + rng.uniform(60, 600, count)
    limit = rng.choice(np.array([7200.0, 14400.0, 86400.0]), count)
    due = dispatched + limit
    resolved = dispatched + rng.exponential(limit * 0.7)
    closed = resolved + rng.uniform(0, 4 * 3600, count)
    recent = (end - reported < 3 * 86400) & (rng.random(count) < 0.3)
    still_open = valid & ((closed > now) | recent)
    done = valid & ~still_open
    status = np.where(done, "closed", rng.choice(np.array(OPEN_STATUSES), count))
    status = np.where(duplicate, "duplicate", np.where(rejected, "rejected", status))
    closed = np.where(duplicate, reported, np.where(rejected, reported + 3600, closed))
    answered = done & (rng.random(count) < 0.6)
    grid = rng.integers(0, len(CHAINS), count)
    columns = [
        range(first, first + count),
        rng.integers(1, REPORTERS + 1, count).tolist(),
        rng.choice(np.array(CATEGORIES), count).tolist(),
        status.tolist(),
        [CHAINS[g].split(">")[0] for g in grid.tolist()],
        [CHAINS[g] for g in grid.tolist()],
        _stamps(reported, np.ones(count, dtype=bool)),
        _stamps(dispatched, valid),
        _stamps(due, valid),
        _stamps(resolved, done | (valid & (status == "resolved") & (resolved <= now))),
        _stamps(closed, done | duplicate | rejected),
        (valid & (rng.random(count) < 0.06)).astype(int).tolist(),
        (valid & (rng.random(count) < 0.03)).astype(int).tolist(),
        _flags(rng.random(count) < 0.85, answered),
        _flags(closed <= due, done),
    ]
    return list(zip(*columns, strict=True))


def _city_units() -> tuple[list[tuple[str, str, str, str | None]], list[str]]:
    units: list[tuple[str, str, str, str | None]] = [("D", "东城区", "district", None)]
    chains: list[str] = []
    for s in range(10):
        units.append((f"S{s}", f"第{s + 1}街道", "street", "D"))
        for c in range(10):
            units.append((f"S{s}C{c}", f"第{s + 1}街道第{c + 1}社区", "community", f"S{s}"))
            for g in range(10):
                units.append((f"S{s}C{c}G{g}", f"网格 {s}-{c}-{g}", "grid", f"S{s}C{c}"))
                chains.append(f"S{s}C{c}G{g}>S{s}C{c}>S{s}>D")
    return units, chains


UNITS, CHAINS = _city_units()
OPEN_STATUSES = ["dispatched", "accepted", "resolved", "rework", "suspended"]


def build_city(path: Path, cases: int) -> None:
    """Units, reporters and ``cases`` cases, written straight into the migrated SQLite file."""
    rng = np.random.default_rng(47)
    created = _stamp(datetime(2024, 1, 1, tzinfo=UTC).timestamp())
    end = WEEK.bounds(BEIJING)[1].timestamp()
    start = end - WEEKS * 7 * 86400
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA synchronous=OFF")
        conn.executemany(
            "INSERT INTO grid_units (id, name, level, parent_id, active, updated_at) VALUES (?, ?, ?, ?, 1, ?)",
            [(*unit, created) for unit in UNITS],
        )
        conn.executemany(
            "INSERT INTO users (id, contact_channel, contact_address, first_name, role, banned, leaderboard_opt_in,"
            " created_at) VALUES (?, 'telegram', ?, 'R', 'citizen', 0, ?, ?)",
            [(i, str(10_000_000 + i), int(i % 10 == 0), created) for i in range(1, REPORTERS + 1)],
        )
        columns = (
            "id, reporter_id, category, status, unit_id, chain, reported_at, dispatched_at, due_at, resolved_at,"
            " closed_at, rework_count, return_count, satisfied, closed_on_time"
        )
        insert = (
            f"INSERT INTO cases ({columns}, lat, lon, language, routed_by, extension_count, escalation_level)"
            f" VALUES ({', '.join('?' * 15)}, 39.9, 116.4, 'zh_CN', 'inside', 0, 0)"
        )
        # In reporting order, as a real table grows: each time index is appended to rather than shuffled.
        step = (end - start) / cases
        for first in range(1, cases + 1, 100_000):
            count = min(100_000, cases + 1 - first)
            low = start + (first - 1) * step
            conn.executemany(insert, case_rows(first, count, rng, low, low + count * step))


async def python_loop(services: Services, start: datetime, end: datetime) -> float:
    """Seconds to fetch a sample of cases and count them per chain in Python, scaled to the whole table."""
    query = select(
        Case.chain, Case.status, Case.reported_at, Case.closed_at, Case.due_at, Case.closed_on_time, Case.rework_count
    ).limit(LOOP_SAMPLE)
    started = time.perf_counter()
    async with services.db.sessions() as session:
        counts: Counter[tuple[str, str]] = Counter()
        for chain, status, reported, closed, due, on_time, rework in await session.execute(query):
            if start <= reported < end:
                counts[(chain, "received")] += 1
            if closed is not None and start <= closed < end and status == "closed":
                counts[(chain, "closed")] += 1
                counts[(chain, "reworked")] += rework > 0
            if due is not None and start <= due < end:
                counts[(chain, "due")] += 1
                counts[(chain, "on_time")] += bool(on_time)
    return (time.perf_counter() - started) * CASES / min(LOOP_SAMPLE, CASES)


def row(name: str, seconds: float, baseline: str, base: float, goal: str = "") -> str:
    """One line of the table: the ratio says how many times faster than the baseline (<1: slower)."""
    ratio = base / seconds
    return f"  {name:<44} {seconds * 1000:>9.1f} ms  {baseline:<34} {base * 1000:>9.1f} ms  x{ratio:>7.2f}  {goal}"


async def aggregation(services: Services) -> None:
    """Time the weekly summary and the all-history aggregation against the baselines."""
    config = services.config.summary
    tz = services.tz
    start, end = WEEK.bounds(tz)
    first = end - timedelta(weeks=WEEKS)

    async def weekly() -> None:
        async with services.db.sessions() as session:
            await compute_summary(session, WEEK, tz=tz, now=NOW, config=config)

    async def everything() -> None:
        async with services.db.sessions() as session:
            await chain_counts(session, first, end)
            await chain_categories(session, first, end)

    async def scan_all() -> None:
        async with services.db.sessions() as session:
            await session.scalar(text("SELECT sum(rework_count) FROM cases"))

    async with services.db.sessions() as session:
        summary = await compute_summary(session, WEEK, tz=tz, now=NOW, config=config)
    weeks, counts = await timed_runs(weekly, REPEATS), await timed_runs(scan_all, REPEATS)
    t_week, t_count = statistics.median(weeks), statistics.median(counts)
    t_all = (await timed_runs(everything, repeats=1))[0]  # the worst case is slow: once is enough
    t_loop = await python_loop(services, start, end)
    print(f"\naggregation on SQLite, {CASES:,} cases ({summary.city.counts.received:,} received in {WEEK}):")
    print(f"  {'':<44} {'result':>12}  {'baseline':<34} {'':>12}  {'ratio':>8}")
    print(
        row(f"weekly summary {WEEK} (all units, all KPIs)", t_week, "Python loop over all cases", t_loop, "goal <= 2 s")
    )
    print(row("the same counts over all 104 weeks", t_all, "Python loop over all cases", t_loop))
    print(row(f"weekly summary {WEEK}", t_week, "full scan: SELECT sum(rework_count)", t_count))
    print(row("the same counts over all 104 weeks", t_all, "full scan: SELECT sum(rework_count)", t_count))
    print(
        f"  (median of {REPEATS} runs; fastest: summary {min(weeks) * 1000:.1f} ms, scan {min(counts) * 1000:.1f} ms)"
    )
    verdict = "met" if t_week <= 2.0 else "NOT met"
    print(f"  weekly summary: {t_week:.3f} s (goal <= 2 s: {verdict}); worst case (every case): {t_all:.3f} s")


def _subscribers(count: int) -> list[tuple[int, str, str | None]]:
    """(chat id, language, area) of each subscriber: 70% city-wide, 20% a street, 10% one of 20 communities."""
    rng = random.Random(7)
    found = []
    for k in range(count):
        roll = rng.random()
        area = (
            None
            if roll < 0.7
            else f"S{rng.randrange(10)}"
            if roll < 0.9
            else f"S{rng.randrange(2)}C{rng.randrange(10)}"
        )
        found.append((60_000_000 + k, "zh_CN" if rng.random() < 0.7 else "en", area))
    return found


def _store_subscribers(path: Path, subscribers: list[tuple[int, str, str | None]]) -> None:
    created = _stamp(NOW.timestamp())
    with sqlite3.connect(path) as conn:
        conn.executemany(
            "INSERT INTO users (id, contact_channel, contact_address, first_name, language, role, banned,"
            " leaderboard_opt_in, created_at) VALUES (?, 'telegram', ?, 'S', ?, 'citizen', 0, 0, ?)",
            [(chat, str(chat), lang, created) for chat, lang, _ in subscribers],
        )
        conn.executemany(
            "INSERT INTO subscriptions (channel, address, user_id, unit_id, language, active, created_at,"
            " subscribed_at) VALUES ('telegram', ?, ?, ?, ?, 1, ?, ?)",
            [(str(chat), chat, area, lang, created, created) for chat, lang, area in subscribers],
        )


async def _outbox_count(services: Services, status: DeliveryStatus | None = None, error: str | None = None) -> int:
    query = select(OutboxMessage.id).where(OutboxMessage.kind == "summary")
    if status is not None:
        query = query.where(OutboxMessage.status == status)
    if error is not None:
        query = query.where(OutboxMessage.last_error.like(error))
    async with services.db.sessions() as session:
        return len((await session.scalars(query)).all())


async def _count_bot_messages(
    client: SandboxClient, into: Counter[int], seconds: Counter[int], stop: asyncio.Event
) -> None:
    """Follow the sandbox's event feed and count the bot's messages per chat and per wall-clock second."""
    cursor = 0
    while not stop.is_set():
        batch = await client._call("GET", "/events", params={"after": cursor, "timeout": 0.5})
        for event in batch["events"]:
            cursor = event["id"]
            if event["type"] == "message" and event.get("from_bot"):
                into[event["chat_id"]] += 1
                seconds[int(event["message"]["date"])] += 1


async def broadcast(services: Services, path: Path) -> None:
    """Queue the week for every subscriber and deliver it through the rate-limited sandbox."""
    subscribers = _subscribers(SUBSCRIBERS)
    _store_subscribers(path, subscribers)
    async with sandbox_process("sandbox", "--rate-limits") as url, SandboxClient(url, bot=TOKEN) as client:
        await client.register_bot(TOKEN, username="citybot_bench_bot", first_name="citybot")
        for first in range(0, len(subscribers), 200):
            chunk = subscribers[first : first + 200]
            await asyncio.gather(*(client.create_user(id=chat, language_code=lang[:2]) for chat, lang, _ in chunk))
        started = time.perf_counter()
        queued = await queue_week(services, WEEK)
        t_queue = time.perf_counter() - started
        messages = await _outbox_count(services)
        got, per_second, stop = Counter[int](), Counter[int](), asyncio.Event()
        counting = asyncio.create_task(_count_bot_messages(client, got, per_second, stop))
        request = HTTPXRequest(connection_pool_size=32)  # as in the Application the bot runs in
        async with Bot(TOKEN, base_url=f"{url}/bot", base_file_url=f"{url}/file/bot", request=request) as bot:
            started = time.perf_counter()
            while await _outbox_count(services, DeliveryStatus.PENDING):
                await deliver_due(services, TelegramSender(bot, services))
                await asyncio.sleep(0.02)
            t_send = time.perf_counter() - started
        await asyncio.sleep(1.0)  # let the feed catch up
        stop.set()
        await counting
    sent = await _outbox_count(services, DeliveryStatus.SENT)
    flooded = await _outbox_count(services, None, "flood control%")
    expected = Counter[int]()
    async with services.db.sessions() as session:
        rows = await session.execute(
            select(OutboxMessage.address, OutboxMessage.payload).where(OutboxMessage.kind == "summary")
        )
        for address, payload in rows:
            # One row is the chart with the report as caption, or the chart then the report in parts.
            report = str(from_json(payload).lines[0].values.get("raw", ""))
            fits = utf16_length(report) <= MAX_CAPTION
            expected[int(address)] += 1 if fits else 1 + len(split_text(report, MAX_TEXT))
    duplicates = sum(max(0, got[c] - expected[c]) for c in got)
    missing = sum(max(0, expected[c] - got[c]) for c in expected)
    # The flood limits count Telegram messages, and a row is one or more of them (a report too long for a caption
    # follows its chart): the rate that meets the limit is messages over the sending time.
    shown = sum(got.values())
    rate = shown / t_send
    full = [n for _second, n in sorted(per_second.items())[1:-1]]  # whole seconds only
    print(f"\nbroadcast of {WEEK} to {queued.recipients:,} subscribers through the sandbox (flood limits on):")
    print(f"  queued {messages:,} outbox rows in {t_queue:.1f} s (one per recipient: the chart and the report)")
    print(f"  delivered {sent:,} rows as {shown:,} Telegram messages in {t_send:.1f} s: {sent / t_send:.1f} rows/s, "
          f"{rate:.1f} messages/s sustained (Telegram's limit: 30 messages/s)")  # fmt: skip
    print(f"  per wall-clock second: busiest {max(full or [0])}, quietest {min(full or [0])}")
    print(f"  rows still waiting on a 429: {flooded}; duplicates in the chats: {duplicates}; missing: {missing}")
    goal = 0.9 * 30
    print(f"  goal >= {goal:.0f} messages/s: {rate / 30:.2f} x 30/s, {'met' if rate >= goal else 'NOT met'}")


def main() -> None:
    """Build the city, then run both benchmarks."""
    asyncio.run(_main())


async def _main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.db"
        url = f"sqlite+aiosqlite:///{path}"
        await upgrade(url)
        started = time.perf_counter()
        build_city(path, CASES)
        print(f"built {CASES:,} cases over {WEEKS} weeks in {time.perf_counter() - started:.1f} s")
        db = Database(url)
        clock = OffsetClock(NOW - datetime.now(UTC))  # Monday 09:00 Beijing, and time passes
        services = Services.build(db, load_config(), clock, "Asia/Shanghai", Path(tmp) / "data")
        try:
            await aggregation(services)
            await broadcast(services, path)
        finally:
            await db.dispose()


if __name__ == "__main__":
    main()
