"""Benchmark the Open311 API on SQLite with 1,000,000 cases: reading 100 requests, and filing requests.

Run: ``python -m bench.bench_open311`` (about 3 minutes on 2 cores; ``BENCH_OPEN311_CASES`` changes the size).

The city is the summary benchmark's (1 district, 10 streets, 100 communities, 1,000 grids, 1M cases over 104
weeks), with every case's history (reported, dispatched, resolved with a note where it was), a 100 m square
per grid cell and one officer per grid, so a filed request is routed, dispatched and queued for its officer as in
a real city. The API runs in its own process (``citybot api`` as deployed); the load comes from this process over
keep-alive HTTP connections, 8 at a time.

- ``GET /requests.json`` for a window holding exactly 100 requests, against a bare aiohttp handler (its own
  process too) answering the same bytes, the two interleaved in 5 rounds of 3 s: median requests/s and ratio.
  Repeated questions are answered from the API's kept answers (revalidated against the data version on every
  request); a third series asks a different but equivalent query each time, so every answer is computed afresh
  (query, history, rendering).
- ``POST /requests.json`` (form-encoded, a different place and category each time): median requests/s of 5 rounds
  of 2 s.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import shapely
from shapely import box

from bench.bench_summary import NOW, UNITS, build_city
from bench.harness import free_port, python_process

CASES = int(os.environ.get("BENCH_OPEN311_CASES", 1_000_000))
ROUNDS = 5
CONCURRENCY = 8
GET_SECONDS = 3.0
POST_SECONDS = 2.0
CELL = 0.001  # degrees, about 100 m
ORIGIN = (39.80, 116.30)


def cell_of(index: int) -> tuple[float, float, float, float]:
    """(min_lat, min_lon, max_lat, max_lon) of grid number ``index`` (a 40 × 25 block of cells)."""
    row, col = divmod(index, 40)
    lat, lon = ORIGIN[0] + row * CELL, ORIGIN[1] + col * CELL
    return lat, lon, lat + CELL, lon + CELL


def complete_city(path: Path) -> None:
    """Give the summary benchmark's city its history, grid shapes and officers."""
    grids = [unit[0] for unit in UNITS if unit[2] == "grid"]
    created = "2024-01-01 00:00:00.000000"
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA synchronous=OFF")
        for n, unit_id in enumerate(grids):
            s, w, north, e = cell_of(n)
            shape = shapely.to_geojson(box(w, s, e, north))
            conn.execute(
                "UPDATE grid_units SET geometry = ?, centroid_lat = ?, centroid_lon = ? WHERE id = ?",
                (shape, (s + north) / 2, (w + e) / 2, unit_id),
            )
        first = 500_000
        conn.executemany(
            "INSERT INTO users (id, contact_channel, contact_address, first_name, role, banned, leaderboard_opt_in,"
            " created_at) VALUES (?, 'telegram', ?, 'Officer', 'officer', 0, 0, ?)",
            [(first + n, str(90_000_000 + n), created) for n in range(len(grids))],
        )
        conn.executemany(
            "INSERT INTO officer_bindings (user_id, unit_id, role, display_name, created_at)"
            " VALUES (?, ?, 'officer', '', ?)",
            [(first + n, unit_id, created) for n, unit_id in enumerate(grids)],
        )
        history = [
            "SELECT id, reported_at, NULL, 'submitted', 'report', NULL FROM cases",
            "SELECT id, dispatched_at, 'submitted', 'dispatched', 'dispatch', NULL FROM cases"
            " WHERE dispatched_at IS NOT NULL",
            "SELECT id, resolved_at, 'accepted', 'resolved', 'resolve', 'Cleaned up' FROM cases"
            " WHERE resolved_at IS NOT NULL",
            "SELECT id, closed_at, 'resolved', status, 'confirm', NULL FROM cases WHERE closed_at IS NOT NULL",
        ]
        for select in history:
            conn.execute(f"INSERT INTO case_events (case_id, at, from_status, to_status, action, note) {select}")


def window_of_100(path: Path) -> tuple[str, str]:
    """start_date and end_date (UTC, w3) of a window in the last weeks that holds exactly 100 cases."""
    with sqlite3.connect(path) as conn:
        total = conn.execute("SELECT max(id) FROM cases").fetchone()[0]
        start, end = conn.execute(
            "SELECT (SELECT reported_at FROM cases WHERE id = ?), (SELECT reported_at FROM cases WHERE id = ?)",
            (total - 5000, total - 4900),
        ).fetchone()
    return _w3(start), _w3(end)


def _w3(stamp: str) -> str:
    return datetime.fromisoformat(stamp).replace(tzinfo=UTC).isoformat()


# ---------------------------------------------------------------- the servers, each in its own process
async def serve_api(db_path: str, port: int, key_file: str) -> None:
    """The API over the benchmark city, as ``citybot api`` runs it (child process)."""
    from bot.servers import Site
    from channels.open311.server import open311_app
    from models.db import Database
    from services import routing
    from services.apikeys import create_key
    from services.clock import OffsetClock
    from services.config import load_config
    from services.context import Services

    db = Database(f"sqlite+aiosqlite:///{db_path}")
    clock = OffsetClock(NOW - datetime.now(UTC))
    services = Services.build(db, load_config(), clock, "Asia/Shanghai", Path(db_path).parent / "data")
    await routing.load_grid_index(services)
    _info, key = await create_key(services, "bench", "1000000/min")
    await asyncio.to_thread(Path(key_file).write_text, key)
    async with Site("Open311 API", open311_app(services), "127.0.0.1", port):
        await asyncio.Event().wait()


async def serve_bare(port: int, body_file: str) -> None:
    """A bare aiohttp handler answering the same bytes (child process)."""
    from aiohttp import web

    body = await asyncio.to_thread(Path(body_file).read_bytes)

    async def handler(_request: web.Request) -> web.Response:
        return web.Response(body=body, headers={"Content-Type": "application/json; charset=utf-8"})

    from bot.servers import Site

    app = web.Application()
    app.router.add_get("/open311/v2/requests.json", handler)
    async with Site("bare handler", app, "127.0.0.1", port):
        await asyncio.Event().wait()


def child(*args: str, ready: str) -> contextlib.AbstractAsyncContextManager[None]:
    """Run ``python -m bench.bench_open311 ARGS`` until the block ends; waits until ``ready`` answers."""
    return python_process("-m", "bench.bench_open311", *args, ready=ready, quiet=False)


# ---------------------------------------------------------------- load
async def rate(seconds: float, call: Callable[[aiohttp.ClientSession, int], Awaitable[None]]) -> float:
    """Requests per second that ``CONCURRENCY`` callers complete in ``seconds``."""
    done = 0
    stop = time.perf_counter() + seconds
    connector = aiohttp.TCPConnector(limit=CONCURRENCY)
    async with aiohttp.ClientSession(connector=connector) as http:

        async def worker(n: int) -> None:
            nonlocal done
            i = n
            while time.perf_counter() < stop:
                await call(http, i)
                done += 1
                i += CONCURRENCY

        started = time.perf_counter()
        await asyncio.gather(*(worker(n) for n in range(CONCURRENCY)))
        return done / (time.perf_counter() - started)


def getter(url: str, expected: bytes) -> Callable[[aiohttp.ClientSession, int], Awaitable[None]]:
    async def call(http: aiohttp.ClientSession, _i: int) -> None:
        async with http.get(url) as resp:
            body = await resp.read()
            if resp.status != 200 or len(body) != len(expected):
                raise RuntimeError(f"unexpected answer {resp.status}: {body[:200]!r}")

    return call


def fresh_getter(query: str, expected: bytes) -> Callable[[aiohttp.ClientSession, int], Awaitable[None]]:
    """The same 100 rows, but each request a different (equivalent) query, so no kept answer is reused."""
    counter = iter(range(10**9))

    async def call(http: aiohttp.ClientSession, _i: int) -> None:
        async with http.get(f"{query}&jurisdiction_id=bench{next(counter)}") as resp:
            body = await resp.read()
            if resp.status != 200 or len(body) != len(expected):
                raise RuntimeError(f"unexpected answer {resp.status}: {body[:200]!r}")

    return call


def poster(url: str, key: str) -> Callable[[aiohttp.ClientSession, int], Awaitable[None]]:
    categories = ["0201", "0102", "0103", "0505", "0506", "0504", "0507", "99"]
    rng = random.Random(311)

    async def call(http: aiohttp.ClientSession, _i: int) -> None:
        s, w, north, e = cell_of(rng.randrange(1000))
        form = {
            "api_key": key,
            "service_code": rng.choice(categories),
            "lat": f"{rng.uniform(s, north):.6f}",
            "long": f"{rng.uniform(w, e):.6f}",
            "description": "Filed by the benchmark",
        }
        async with http.post(url, data=form) as resp:
            if resp.status != 200:
                raise RuntimeError(f"unexpected answer {resp.status}: {(await resp.text())[:200]}")
            await resp.read()

    return call


async def _main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.db"
        from models.migrate import upgrade

        await upgrade(f"sqlite+aiosqlite:///{path}")
        started = time.perf_counter()
        build_city(path, CASES)
        complete_city(path)
        print(f"built {CASES:,} cases with their history in {time.perf_counter() - started:.1f} s")
        start, end = window_of_100(path)
        api_port, bare_port = free_port(), free_port()
        api = f"http://127.0.0.1:{api_port}/open311/v2"
        query = f"{api}/requests.json?start_date={start.replace('+', '%2B')}&end_date={end.replace('+', '%2B')}"
        key_file, body_file = Path(tmp) / "key", Path(tmp) / "body.json"
        async with child("serve-api", str(path), str(api_port), str(key_file), ready=f"{api}/discovery.json"):
            async with aiohttp.ClientSession() as http, http.get(query) as resp:
                body = await resp.read()
            rows = body.count(b'"service_request_id"')
            body_file.write_bytes(body)
            bare = f"http://127.0.0.1:{bare_port}/open311/v2/requests.json"
            ours_rates, bare_rates, fresh_rates = [], [], []
            async with child("serve-bare", str(bare_port), str(body_file), ready=bare):
                await rate(1.0, getter(query, body))  # warm both up
                await rate(1.0, getter(bare, body))
                for _ in range(ROUNDS):
                    ours_rates.append(await rate(GET_SECONDS, getter(query, body)))
                    bare_rates.append(await rate(GET_SECONDS, getter(bare, body)))
                    fresh_rates.append(await rate(GET_SECONDS, fresh_getter(query, body)))
            post_rates = []
            url = f"{api}/requests.json"
            for _ in range(ROUNDS):
                post_rates.append(await rate(POST_SECONDS, poster(url, key_file.read_text())))
        report(rows, len(body), ours_rates, bare_rates, fresh_rates, post_rates)


def report(rows: int, size: int, ours: list[float], bare: list[float], fresh: list[float], posts: list[float]) -> None:
    """Print the table of medians and ratios."""
    mine, base, filed = statistics.median(ours), statistics.median(bare), statistics.median(posts)
    ratios = [o / b for o, b in zip(ours, bare, strict=True)]
    print(f"\nGET /requests.json: {rows} rows ({size:,} bytes) out of {CASES:,} cases, {CONCURRENCY} connections")
    print(f"  {'':<40} {'median req/s':>14} {'rounds':>40}")
    print(f"  {'bare aiohttp handler, same bytes':<40} {base:>14,.0f} {_rounds(bare):>40}")
    print(f"  {'citybot Open311 API':<40} {mine:>14,.0f} {_rounds(ours):>40}")
    cold = statistics.median(fresh)
    print(f"  {'citybot, every answer computed afresh':<40} {cold:>14,.0f} {_rounds(fresh):>40}")
    ratio = statistics.median(ratios)
    print(f"  ratio (median of rounds): {ratio:.2f} (goal >= 0.5: {'met' if ratio >= 0.5 else 'NOT met'});"
          f" {mine:,.0f} req/s (goal >= 1,000: {'met' if mine >= 1000 else 'NOT met'})")  # fmt: skip
    print(f"\nPOST /requests.json (routed, dispatched, officer notices queued): median {filed:,.0f} req/s")
    print(f"  rounds: {_rounds(posts)}; goal >= 100: {'met' if filed >= 100 else 'NOT met'}")


def _rounds(values: list[float]) -> str:
    return " ".join(f"{v:,.0f}" for v in values)


def main() -> None:
    """Build the city, then measure."""
    asyncio.run(_main())


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "serve-api":
        asyncio.run(serve_api(sys.argv[2], int(sys.argv[3]), sys.argv[4]))
    elif len(sys.argv) > 1 and sys.argv[1] == "serve-bare":
        asyncio.run(serve_bare(int(sys.argv[2]), sys.argv[3]))
    else:
        main()
