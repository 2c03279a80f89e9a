"""A flood from one chat against another chat's answer: /start answer time, loaded by 1,000 updates vs unloaded.

One person sends 1,000 messages as fast as the Bot API takes them (16 requests at a time, from a process of its
own); halfway through, another person sends /start and the clock runs until it is answered. The unloaded time is
the same person's /start with nothing else going on, in the same round. Goal: loaded at most 0.2 s over unloaded.

Two set-ups of the real bot (``build_application`` over SQLite): as shipped, where the per-person rate limit
(``limits.messages_per_minute``) answers the flood's first 30 messages and drops the rest as they arrive (once the
person is over the limit, before they are even decoded); and
with the limit off, where all 1,000 are handled (one at a time, in order, as one chat's updates must be) and only
the update scheduling keeps the other chat's answer quick.

The sandbox (standing in for Telegram) and the flooding person run in processes of their own; the bot and the
person timing their /start run here.
"""

from __future__ import annotations

import asyncio
import logging
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.harness import bot_settings, sandbox_process
from bot.app import build_application, build_services
from bot.updates import PerChatUpdateProcessor
from models.migrate import upgrade
from sandbox.client import SandboxClient
from sandbox.testing import polling
from services.inbound_limit import InboundLimiter

FLOOD = 1_000
ROUNDS = 5
PARALLEL_SENDS = 16  # the flooder's concurrent requests to the Bot API
GOAL_SECONDS = 0.2
HALFWAY = "halfway"


@dataclass(frozen=True)
class Setup:
    """One way of running the bot and timing the /start."""

    name: str
    token: str
    per_minute: int


SETUPS = [
    Setup("as shipped (30 messages/min/person)", "800001:bench-flood-limit", 30),
    Setup("rate limit off", "800002:bench-flood-nolimit", 0),
]


async def flood(url: str, token: str, user_id: int, count: int) -> None:
    """The flooder's side (its own process): ``count`` messages from one person; prints a line halfway."""
    async with SandboxClient(url, bot=token) as client:
        user = await client.create_user(id=user_id, first_name="Flood", language_code="en")
        numbers = iter(range(count))

        async def sender() -> None:
            for n in numbers:
                await client.send_text(user, f"spam {n}")
                if n == count // 2:
                    print(HALFWAY, flush=True)

        await asyncio.gather(*(sender() for _ in range(PARALLEL_SENDS)))


async def start_flooder(url: str, token: str, user_id: int) -> asyncio.subprocess.Process:
    """Start the flooder; returns once it is halfway through."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.bench_flood", "--flood", url, token, str(user_id), str(FLOOD),
        stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert process.stdout is not None
    if (await process.stdout.readline()).decode().strip() != HALFWAY:
        raise RuntimeError("the flooder failed")
    return process


async def answer_time(client: SandboxClient, url: str, setup: Setup, user_id: int, flooded: bool) -> float:
    """Seconds from a fresh person's /start (halfway through a flood, or alone) to its answer."""
    person = await client.create_user(id=user_id, first_name="Probe", language_code="en")
    flooder = await start_flooder(url, setup.token, user_id + 1) if flooded else None
    started = time.perf_counter()
    await client.send_command(person, "/start")
    await client.wait_for_message(person.chat_id, "Hello Probe", timeout=300)
    elapsed = time.perf_counter() - started
    if flooder is not None and await flooder.wait() != 0:
        raise RuntimeError("the flooder failed")
    return elapsed


async def drained(app: Any, processor: PerChatUpdateProcessor) -> None:
    """Wait until everything the bot received is handled (the next round starts unloaded)."""
    while True:
        pending = (await app.bot.get_webhook_info()).pending_update_count
        if pending == 0 and app.update_queue.empty() and processor.busy_chats == 0:
            return
        await asyncio.sleep(0.2)


async def measure(url: str, workdir: Path, setup: Setup) -> list[tuple[float, float]]:
    """(unloaded, loaded) /start answer times of each round, for one set-up."""
    settings = bot_settings(url, setup.token, workdir)
    await upgrade(settings.database_url)
    services = build_services(settings)
    app = build_application(settings, services, jobs=False, limiter=InboundLimiter(setup.per_minute))
    processor = app.update_processor
    assert isinstance(processor, PerChatUpdateProcessor)
    rounds: list[tuple[float, float]] = []
    try:
        async with polling(app), SandboxClient(url, bot=setup.token) as client:
            await answer_time(client, url, setup, 5_000_000, flooded=False)  # warm up
            for n in range(ROUNDS):
                base = 5_000_100 + n * 10
                unloaded = await answer_time(client, url, setup, base, flooded=False)
                loaded = await answer_time(client, url, setup, base + 2, flooded=True)
                rounds.append((unloaded, loaded))
                await drained(app, processor)
    finally:
        await services.db.dispose()
    return rounds


async def run() -> dict[str, list[tuple[float, float]]]:
    """Every set-up against one sandbox process."""
    results: dict[str, list[tuple[float, float]]] = {}
    async with sandbox_process() as url:
        with tempfile.TemporaryDirectory(prefix="citybot-bench-flood-") as tmp:
            for n, setup in enumerate(SETUPS):
                workdir = Path(tmp) / f"setup-{n}"
                workdir.mkdir()
                results[setup.name] = await measure(url, workdir, setup)
    return results


def main() -> None:
    """Print unloaded and loaded /start answer times, their difference and ratio (median of rounds)."""
    logging.basicConfig(level=logging.WARNING)
    results = asyncio.run(run())
    print(f"one person floods {FLOOD} messages, another sends /start; {ROUNDS} rounds, median of each column")
    print(f"{'':42}{'unloaded':>10}{'loaded':>10}{'loaded-unloaded':>17}{'ratio':>8}{'goal':>8}")
    for name, rounds in results.items():
        unloaded = statistics.median(u for u, _ in rounds)
        loaded = statistics.median(x for _, x in rounds)
        extra = statistics.median(x - u for u, x in rounds)
        ratio = statistics.median(x / u for u, x in rounds)
        verdict = "met" if extra <= GOAL_SECONDS else "MISSED"
        line = f"{name:42}{unloaded * 1000:8.0f} ms{loaded * 1000:8.0f} ms{extra * 1000:15.0f} ms{ratio:8.2f}"
        print(f"{line}{verdict:>8}")
    print(
        f"goal: loaded - unloaded <= {GOAL_SECONDS * 1000:.0f} ms, i.e. ratio <= (unloaded + "
        f"{GOAL_SECONDS * 1000:.0f} ms) / unloaded (unloaded/loaded per round below)"
    )
    for name, rounds in results.items():
        print(f"  {name}: " + ", ".join(f"{u * 1000:.0f}/{x * 1000:.0f}" for u, x in rounds))


if __name__ == "__main__":
    if len(sys.argv) == 6 and sys.argv[1] == "--flood":
        asyncio.run(flood(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])))
    else:
        main()
