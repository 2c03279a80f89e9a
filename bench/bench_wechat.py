"""Messages per second through the WeChat callback, beside a bare callback on the same sandbox, same run.

Simulated users (their own process) each send texts one after another, waiting for the answer as a person would;
the WeChat sandbox (its own process) signs each one, posts it to the callback and reads the passive reply. The
bare callback (the baseline) pulls the sender out of the body with a regular expression and answers a fixed
passive reply: the least any callback can do. citybot's callback does everything it does in production: checks
the signature, decrypts in safe mode, parses the XML with wechatpy, looks the message's key up in SQLite, calls the
handler (an echo here, so the channel's own cost is measured, which claims the key as the conversation does in its
transaction) and renders (and in safe mode encrypts) the reply.

Runs are interleaved (bare, plaintext, safe, bare, ...) and each citybot figure is compared with the mean of the
bare runs on either side of it; the median of those ratios is shown.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import re
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

from aiohttp import web

from bench.harness import medians, sandbox_process
from bot.servers import Site
from channels.wechat.api import WeChatApi
from channels.wechat.callback import WeChatCallback
from channels.wechat.events import InboundEvent, Text
from channels.wechat.settings import WeChatSettings
from models.db import Database
from models.migrate import upgrade
from models.receipts import ReceiptBook
from sandbox.wechat.client import WeChatSandboxClient
from services.clock import SystemClock

USERS = 10
MESSAGES_PER_USER = 20
ROUNDS = 5
APP_ID, APP_SECRET, TOKEN = "wxbench000000001", "bench-secret", "bench-token"
AES_KEY = base64.b64encode(bytes(range(7, 39))).decode().rstrip("=")
_SENDER = re.compile(rb"<FromUserName><!\[CDATA\[(.*?)\]\]></FromUserName>")


async def drive(url: str) -> float:
    """The users' side (its own process): a warm-up message each, then the measured messages; returns messages/s."""
    async with WeChatSandboxClient(url) as wx:
        users = [await wx.create_user(f"user{i}") for i in range(USERS)]
        await asyncio.gather(*(wx.send_text(user, "warm-up") for user in users))

        async def one_user(n: int) -> None:
            for m in range(MESSAGES_PER_USER):
                result = await wx.send_text(users[n], f"report {n}-{m}")
                if result.reply != f"echo: report {n}-{m}":
                    raise RuntimeError(f"unexpected answer: {result}")

        started = time.perf_counter()
        await asyncio.gather(*(one_user(n) for n in range(USERS)))
        return USERS * MESSAGES_PER_USER / (time.perf_counter() - started)


async def run_driver(url: str) -> float:
    """Start the users' process and read its result."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.bench_wechat", "--drive", url, stdout=asyncio.subprocess.PIPE
    )
    out, _ = await process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"the driver failed with exit code {process.returncode}")
    return float(json.loads(out.decode().strip().splitlines()[-1])["messages_per_second"])


async def bare_reply(request: web.Request) -> web.Response:
    """The baseline: answer a fixed passive reply to whoever sent the message."""
    body = await request.read()
    sender = _SENDER.search(body)
    user = sender.group(1).decode() if sender else ""
    content = re.search(rb"<Content><!\[CDATA\[(.*?)\]\]></Content>", body)
    text = content.group(1).decode() if content else ""
    reply = (
        f"<xml><ToUserName><![CDATA[{user}]]></ToUserName><FromUserName><![CDATA[gh_citybot00001]]></FromUserName>"
        "<CreateTime>1</CreateTime><MsgType><![CDATA[text]]></MsgType>"
        f"<Content><![CDATA[echo: {text}]]></Content></xml>"
    )
    return web.Response(text=reply, content_type="application/xml")


def echo(receipts: ReceiptBook) -> Callable[[InboundEvent], Awaitable[list[str]]]:
    """The handler given to citybot's callback: takes the message in, and echoes it."""

    async def handle(event: InboundEvent) -> list[str]:
        if not await receipts.claim(event.dedupe_key, datetime.now(UTC)):
            return []
        return [f"echo: {event.text}" if isinstance(event, Text) else "?"]

    return handle


async def measure(url: str, wx: WeChatSandboxClient, kind: str, workdir: Path) -> tuple[float, float]:
    """Messages/s with the ``kind`` callback ("bare", "plaintext" or "safe") serving the account, and the CPU
    milliseconds this process (the callback's) spent per message."""
    aes_key = AES_KEY if kind == "safe" else None
    db: Database | None = None
    if kind == "bare":
        app = web.Application()
        app.router.add_post("/wechat", bare_reply)
        api = None
    else:
        database_url = f"sqlite+aiosqlite:///{workdir / f'{kind}.db'}"
        await upgrade(database_url)
        db = Database(database_url)
        settings = WeChatSettings(app_id=APP_ID, app_secret=APP_SECRET, token=TOKEN, aes_key=aes_key, api_base=url)
        api = WeChatApi(settings, SystemClock())
        receipts = ReceiptBook(db, "wechat")
        app = WeChatCallback(settings, echo(receipts), api, receipts, SystemClock()).app()
    site = Site("WeChat callback", app)
    await site.start()
    try:
        await wx.reset()
        await wx.configure_account(
            app_id=APP_ID,
            app_secret=APP_SECRET,
            token=TOKEN,
            aes_key=aes_key,
            callback_url=f"{site.url}/wechat",
        )
        cpu = time.process_time()
        speed = await run_driver(url)
        cpu_ms = 1000 * (time.process_time() - cpu) / (USERS * (MESSAGES_PER_USER + 1))
        return speed, cpu_ms
    finally:
        await site.stop()
        if api is not None:
            await api.close()
        if db is not None:
            await db.dispose()


async def run(rounds: int = ROUNDS) -> dict[str, list[tuple[float, float]]]:
    """Interleaved rounds of the bare, plaintext and safe-mode callbacks against one sandbox process."""
    results: dict[str, list[tuple[float, float]]] = {"bare": [], "plaintext": [], "safe": []}
    async with sandbox_process("sandbox.wechat") as url, WeChatSandboxClient(url) as wx:
        with tempfile.TemporaryDirectory(prefix="citybot-bench-wechat-") as tmp:
            results["bare"].append(await measure(url, wx, "bare", Path(tmp)))
            for n in range(rounds):
                workdir = Path(tmp) / f"round-{n}"
                workdir.mkdir()
                for kind in ("plaintext", "safe", "bare"):
                    results[kind].append(await measure(url, wx, kind, workdir))
    return results


def main() -> None:
    """Print messages/s for the bare callback and citybot's, plaintext and safe mode, with their ratios."""
    logging.basicConfig(level=logging.WARNING)
    results = asyncio.run(run())
    print(
        f"{USERS} concurrent users × {MESSAGES_PER_USER} texts, each answered by a passive reply; "
        f"{ROUNDS} interleaved rounds; sandbox and users in their own processes"
    )
    print(f"{'':40}{'messages/s':>11}{'ratio':>7}{'wait ms':>9}{'CPU ms/msg':>12}")
    rows = (
        ("bare", "bare callback (baseline)"),
        ("plaintext", "citybot callback, plaintext"),
        ("safe", "citybot callback, safe mode (AES)"),
    )
    for kind, label in rows:
        speed, cpu, ratio = medians(results, "bare", kind)
        print(f"{label:40}{speed:11.1f}{ratio:7.2f}{1000 * USERS / speed:9.1f}{cpu:12.2f}")
    print("ratio: median over rounds of messages/s against the bare runs on either side")
    print("wait ms: how long a user waits for the answer; CPU ms/msg: the callback process's CPU per message")
    for kind, values in results.items():
        print(f"  {kind:>10} runs (msg/s, CPU ms): " + ", ".join(f"{s:.1f}/{c:.2f}" for s, c in values))


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--drive":
        print(json.dumps({"messages_per_second": asyncio.run(drive(sys.argv[2]))}))
    else:
        main()
