"""Updates per second through complete report flows, beside a bare PTB echo bot on the same sandbox, same run.

Each simulated citizen waits for the bot's answer before the next step, as a person would. A report flow is five
updates (photo, category button, location, Skip button, Submit button) and includes everything the real bot does:
the photo download and evidence copy on disk, SQLite transactions, routing, dispatch and the officers' outbox
rows. The baseline bot answers five text messages with one ``sendMessage`` each.

The sandbox (standing in for Telegram) and the simulated users run in their own processes, so what is measured is
the bot's process; the bots run one after the other in this process against the same sandbox, in interleaved
rounds (the median of each is shown), so a noisy machine slows all of them alike.

The citybot row is ``build_application`` as deployed: it handles different chats concurrently and each chat's
updates in order (``bot/updates.py``) and talks to the Bot API over aiohttp (``channels/telegram/request.py``).
The baseline is a bare PTB echo bot with PTB's defaults (httpx); a second echo row runs the same bare bot on
citybot's transport, to show how much of the difference is the transport and how much the bot's own work. Beside
updates/s, each row shows the CPU time the bot's process spent per update (all its threads), which a busy shared
machine disturbs much less than wall time.
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
import random
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from PIL import Image
from shapely import box
from telegram import Update
from telegram.ext import (
    ApplicationBuilder,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bench.harness import Measured, bot_settings, medians, sandbox_process
from bot.app import build_application, build_services
from bot.settings import Settings
from channels.telegram.request import AiohttpRequest
from models.grid import BindingRole, UnitLevel
from models.migrate import upgrade
from sandbox.client import SandboxClient
from sandbox.testing import polling
from sandbox.views import SandboxUser
from services import routing
from tests.world import build

USERS = 10
FLOWS_PER_USER = 3
ROUNDS = 5
UPDATES_PER_FLOW = 5
ECHO_TOKEN = "700001:bench-echo"
CITY_TOKEN = "700002:bench-citybot"
GRID = (116.39, 39.90, 116.41, 39.92)  # lon/lat box of the one grid unit


def photo_bytes(seed: int) -> bytes:
    """A small distinct JPEG, like a phone's compressed photo."""
    image = Image.new("RGB", (640, 480), (seed * 37 % 256, seed * 91 % 256, seed * 53 % 256))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80)
    return out.getvalue()


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The baseline: say the text back."""
    if update.effective_message is not None:
        await update.effective_message.reply_text(update.effective_message.text or "ok")


async def answer(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The baseline's button handler (unused by its flow, present as in any bot)."""
    if update.callback_query is not None:
        await update.callback_query.answer()


async def echo_flow(client: SandboxClient, user: SandboxUser, n: int) -> None:
    """Five messages, each waiting for its echo."""
    for step in range(UPDATES_PER_FLOW):
        text = f"message {n}.{step}"
        await client.send_text(user, text)
        await client.wait_for_message(user.chat_id, text, timeout=30)


async def report_flow(client: SandboxClient, user: SandboxUser, n: int, rng: random.Random) -> None:
    """Photo → category → location → Skip → Submit, each waiting for the bot's next question."""
    await client.send_photo(user, photo_bytes(user.id * 1000 + n))
    picker = await client.wait_for_message(user.chat_id, lambda m: bool(m.buttons), timeout=30)
    await client.press(user, picker, rng.choice(["Other", "Exposed litter", "Illegal small ads / posters"]))
    await client.wait_for_message(user.chat_id, "Where is it?", timeout=30)
    lat, lon = rng.uniform(GRID[1], GRID[3]), rng.uniform(GRID[0], GRID[2])
    await client.send_location(user, lat, lon)
    question = await client.wait_for_message(user.chat_id, lambda m: bool(m.buttons), timeout=30)
    await client.press(user, question, "Skip")
    summary = await client.wait_for_message(user.chat_id, "Please check", timeout=30)
    await client.press(user, summary, "Submit")
    await client.wait_for_edit(user.chat_id, lambda m: "#" in m.text, timeout=30)  # sent, or linked as a duplicate


async def run_users(
    client: SandboxClient, users: list[SandboxUser], flow: Callable[[SandboxUser, int], Awaitable[None]]
) -> float:
    """Run every user's flows concurrently; returns updates per second."""

    async def one_user(user: SandboxUser) -> None:
        for n in range(FLOWS_PER_USER):
            await flow(user, n)

    started = time.perf_counter()
    await asyncio.gather(*(one_user(user) for user in users))
    elapsed = time.perf_counter() - started
    return len(users) * FLOWS_PER_USER * UPDATES_PER_FLOW / elapsed


async def drive(kind: str, url: str) -> float:
    """The simulated users' side (run in its own process): warm up, then run every flow; returns updates/s."""
    token = ECHO_TOKEN if kind == "echo" else CITY_TOKEN
    rng = random.Random(42)
    async with SandboxClient(url, bot=token) as client:
        users = [await client.create_user(first_name=f"{kind}{i}", language_code="en") for i in range(USERS + 1)]
        if kind == "echo":
            await echo_flow(client, users[-1], -1)
            return await run_users(client, users[:-1], lambda user, n: echo_flow(client, user, n))
        await report_flow(client, users[-1], -1, rng)
        return await run_users(client, users[:-1], lambda user, n: report_flow(client, user, n, rng))


async def run_driver(kind: str, url: str) -> Measured:
    """Start the users' process and read its result, timing this (the bot's) process's CPU meanwhile."""
    started = time.process_time()
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.bench_report_flow", "--drive", kind, url, stdout=asyncio.subprocess.PIPE
    )
    out, _ = await process.communicate()
    cpu = time.process_time() - started
    if process.returncode != 0:
        raise RuntimeError(f"the {kind} driver failed with exit code {process.returncode}")
    speed = float(json.loads(out.decode().strip().splitlines()[-1])["updates_per_second"])
    return speed, cpu * 1000 / ((USERS * FLOWS_PER_USER + 1) * UPDATES_PER_FLOW)  # the warm-up flow counts too


async def measure_echo(url: str, *, transport: str = "ptb") -> Measured:
    """Updates/s and CPU per update of the bare echo bot, on PTB's transport or on citybot's."""
    builder = ApplicationBuilder().token(ECHO_TOKEN).base_url(f"{url}/bot").base_file_url(f"{url}/file/bot")
    if transport == "aiohttp":
        builder = builder.request(AiohttpRequest()).get_updates_request(AiohttpRequest(1))
    app = builder.build()
    app.add_handler(MessageHandler(filters.ALL, echo))
    app.add_handler(CallbackQueryHandler(answer))
    async with polling(app):
        return await run_driver("echo", url)


async def seed(settings: Settings) -> None:
    """One grid with one officer, so every report is routed and dispatched."""
    services = build_services(settings)
    async with build(services) as city:
        await city.area("G-1", "Bench grid", UnitLevel.GRID, box(*GRID))
        await city.staff(990001, "Officer", "G-1", BindingRole.OFFICER)
    await services.db.dispose()


async def measure_report_flow(url: str, workdir: Path) -> Measured:
    """Updates/s of complete report flows through the real bot and its real handlers."""
    settings = bot_settings(url, CITY_TOKEN, workdir)
    await upgrade(settings.database_url)
    await seed(settings)
    services = build_services(settings)
    services.config.reporting.reports_per_hour = 10_000
    await routing.load_grid_index(services)
    app = build_application(settings, services, jobs=False)
    try:
        async with polling(app):
            return await run_driver("city", url)
    finally:
        await services.db.dispose()


async def run(rounds: int = ROUNDS) -> dict[str, list[Measured]]:
    """Rounds of echo, citybot, echo on citybot's transport, echo again, against one sandbox process."""
    results: dict[str, list[Measured]] = {"echo": [], "citybot": [], "echo_aiohttp": []}
    async with sandbox_process() as url:
        with tempfile.TemporaryDirectory(prefix="citybot-bench-") as tmp:
            results["echo"].append(await measure_echo(url))
            for n in range(rounds):
                workdir = Path(tmp) / f"round-{n}"  # a fresh database each time: equal work in every round
                workdir.mkdir()
                results["citybot"].append(await measure_report_flow(url, workdir))
                results["echo_aiohttp"].append(await measure_echo(url, transport="aiohttp"))
                results["echo"].append(await measure_echo(url))
    return results


def main() -> None:
    """Print updates/s and CPU per update for the echo baseline and the report flow, and their ratios (goal ≥ 0.5)."""
    logging.basicConfig(level=logging.WARNING)
    results = asyncio.run(run())
    updates = USERS * FLOWS_PER_USER * UPDATES_PER_FLOW
    print(
        f"{USERS} concurrent users × {FLOWS_PER_USER} flows × {UPDATES_PER_FLOW} updates = {updates} updates "
        f"per measurement; {ROUNDS} rounds, each citybot run between two echo runs"
    )
    print("sandbox and users run in their own processes; the bot's process is what is measured")
    print(f"{'':54}{'updates/s':>10}{'ratio':>8}{'CPU ms/update':>15}")
    rows = (
        ("echo", "bare PTB echo bot (baseline)"),
        ("citybot", "citybot complete report flows"),
        ("echo_aiohttp", "bare PTB echo bot on citybot's transport (aiohttp)"),
    )
    for key, label in rows:
        speed, cpu, ratio = medians(results, "echo", key)
        print(f"{label:54}{speed:10.1f}{ratio:8.2f}{cpu:15.2f}")
    print("median of per-round ratios; goal: citybot ratio >= 0.5")
    for key, values in results.items():
        print(f"  {key:>12} runs: " + ", ".join(f"{s:.1f}/s {c:.1f} ms" for s, c in values))


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--drive":
        speed = asyncio.run(drive(sys.argv[2], sys.argv[3]))
        print(json.dumps({"updates_per_second": speed}))
    else:
        main()
