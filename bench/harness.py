"""What the benchmarks share: free ports, a server in a process of its own, the bot's settings against the sandbox,
and the interleaved-round arithmetic (each round against the baseline runs on either side of it)."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import statistics
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import aiohttp

from bot.settings import Settings

#: (a rate, CPU milliseconds per unit of work) of one measurement.
Measured = tuple[float, float]


def free_port() -> int:
    """A TCP port nobody listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def wait_until_listening(port: int, seconds: float = 20.0) -> None:
    """Return once something accepts connections on ``port``; raise after ``seconds``."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.1)
            continue
        writer.close()
        await writer.wait_closed()
        return


async def wait_until_answering(url: str, seconds: float = 60.0) -> None:
    """Return once ``url`` answers 200; raise after ``seconds``."""
    deadline = time.monotonic() + seconds
    async with aiohttp.ClientSession() as http:
        while time.monotonic() < deadline:
            with contextlib.suppress(aiohttp.ClientError):
                async with http.get(url) as resp:
                    if resp.status == 200:
                        return
            await asyncio.sleep(0.1)
    raise TimeoutError(f"nothing answered at {url}")


@contextlib.asynccontextmanager
async def python_process(*args: str, ready: str | int, quiet: bool = True) -> AsyncIterator[None]:
    """``python ARGS`` until the block ends; ``ready``: a port that must accept connections, or a URL to answer."""
    output = asyncio.subprocess.DEVNULL if quiet else None
    process = await asyncio.create_subprocess_exec(sys.executable, *args, stdout=output, stderr=output)
    try:
        if isinstance(ready, int):
            await wait_until_listening(ready)
        else:
            await wait_until_answering(ready)
        yield
    finally:
        process.terminate()
        await process.wait()


@contextlib.asynccontextmanager
async def sandbox_process(module: str = "sandbox", *options: str) -> AsyncIterator[str]:
    """A sandbox (``sandbox`` or ``sandbox.wechat``) in its own process, as the real service would be; its URL."""
    port = free_port()
    async with python_process("-m", module, "--port", str(port), *options, ready=port):
        yield f"http://127.0.0.1:{port}"


def bot_settings(url: str, token: str, workdir: Path) -> Settings:
    """citybot's settings against the sandbox at ``url``, with its database and files in ``workdir``."""
    return Settings.offline(url, token, f"sqlite+aiosqlite:///{workdir / 'bench.db'}", workdir / "data")


def round_ratios(results: dict[str, list[Measured]], baseline: str, key: str) -> list[float]:
    """Each round's rate over the mean of the baseline runs just before and just after it."""
    base = [rate for rate, _ in results[baseline]]
    return [rate / ((base[n] + base[n + 1]) / 2) for n, (rate, _) in enumerate(results[key])]


def medians(results: dict[str, list[Measured]], baseline: str, key: str) -> tuple[float, float, float]:
    """The median rate, CPU and ratio to the baseline (1.0 for the baseline itself) of ``key``'s rounds."""
    rate = statistics.median(r for r, _ in results[key])
    cpu = statistics.median(c for _, c in results[key])
    ratio = 1.0 if key == baseline else statistics.median(round_ratios(results, baseline, key))
    return rate, cpu, ratio


async def timed_runs(action: Callable[[], Awaitable[object]], repeats: int = 3) -> list[float]:
    """Wall seconds of each of ``repeats`` runs of ``action``."""
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        await action()
        times.append(time.perf_counter() - started)
    return times
