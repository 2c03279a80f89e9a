"""``citybot demo``: a fresh demo district, the sandboxes (Telegram and WeChat) with the web chat, and the real bot
on both channels, offline.

Everything is the production path: the district is imported by the grid import, the bot is
``build_application()`` with its jobs, pointed at the sandbox by ``base_url``. Only the clock is an
``OffsetClock`` that the web page can move forward.
"""

from __future__ import annotations

import logging
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.app import build_application, build_services
from bot.demo_api import ASSETS, SAMPLES, DemoContext, add_routes
from bot.demo_jobs import cancel_background
from bot.demo_people import CHANNEL, everyone
from bot.demo_seed import DemoSeed, seed_demo
from bot.demo_wechat import populate as populate_wechat
from bot.demo_wechat import start_wechat
from bot.servers import until_stopped
from bot.settings import Settings
from channels.wechat.bootstrap import WeChatChannel
from models.migrate import upgrade
from sandbox.server import SandboxServer
from sandbox.state import SandboxState, UserAccount
from services.clock import OffsetClock
from services.config import AppConfig, load_config
from services.context import Services

log = logging.getLogger(__name__)

DEMO_TOKEN = "7000000001:citybot-offline-demo"
BOT_USERNAME = "citybot_demo_bot"
_MARKER = ".citybot-demo"


@dataclass
class Demo:
    """A running demo: the sandbox (and web chat), the bot application and what they share."""

    sandbox: SandboxServer
    services: Services
    clock: OffsetClock
    application: Any
    seed: DemoSeed
    data_dir: Path
    wechat: WeChatChannel | None = None

    @property
    def url(self) -> str:
        """Where the web chat is served."""
        return self.sandbox.url


def demo_config(base: AppConfig | None = None) -> AppConfig:
    """The shipped configuration, with the demo channel receiving the weekly summary."""
    config = base or load_config()
    summary = config.summary.model_copy(update={"channels": [CHANNEL.chat_id], "channel_language": CHANNEL.language})
    return config.model_copy(update={"summary": summary})


def fresh_data_dir(data_dir: Path) -> Path:
    """Empty ``data_dir`` for a new demo; refuses a non-empty folder the demo did not create."""
    if data_dir.exists() and any(data_dir.iterdir()):
        if not (data_dir / _MARKER).exists():
            raise RuntimeError(f"{data_dir} is not empty and is not a demo folder; choose another --data-dir")
        shutil.rmtree(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / _MARKER).write_text("created by citybot demo; emptied on every start\n", encoding="utf-8")
    return data_dir


def _populate_sandbox(state: SandboxState) -> list[str]:
    """The bot, every Telegram person, the channel, and the sample photos (their file ids serve the seeded
    history)."""
    state.register_bot(DEMO_TOKEN, BOT_USERNAME, "城市随手拍 citybot")
    for person in everyone():
        if person.channel == "telegram":
            state.add_user(UserAccount(id=person.telegram_id, first_name=person.name, language_code=person.language))
    state.add_group(CHANNEL.chat_id, CHANNEL.title, "channel", CHANNEL.username)
    problems = [name for name in SAMPLES if not name.startswith("clean")]
    return [state.files.add_photo((ASSETS / f"{name}.jpg").read_bytes())[-1]["file_id"] for name in problems]


def _settings(data_dir: Path, sandbox: SandboxServer | None) -> Settings:
    database_url = f"sqlite+aiosqlite:///{data_dir / 'citybot-demo.db'}"
    return Settings.offline(
        sandbox.url if sandbox else "http://127.0.0.1:9", DEMO_TOKEN, database_url, data_dir / "files"
    )


async def start_demo(data_dir: Path, *, host: str = "127.0.0.1", port: int = 8080, jobs: bool = True) -> Demo:
    """Seed a fresh database, start the sandbox and web chat, then the bot polling it."""
    fresh_data_dir(data_dir)
    clock = OffsetClock()
    sandbox = SandboxServer(host, port)
    # Message dates follow the demo clock too, so the chat's times move when the clock control is used.
    setattr(sandbox.state, "now", lambda: int(clock.now().timestamp()))  # noqa: B010
    photo_ids = _populate_sandbox(sandbox.state)
    populate_wechat(sandbox, clock, everyone())
    offline = _settings(data_dir, None)
    await upgrade(offline.database_url)
    services = build_services(offline, clock=clock, config=demo_config())
    seed = await seed_demo(services, photo_ids)
    context = DemoContext(services, clock, sandbox.state, DEMO_TOKEN)
    add_routes(sandbox.app, context)
    await sandbox.start()
    # The WeChat channel beside Telegram, in the same process and outbox, as `citybot run` serves both.
    wechat = await start_wechat(services, sandbox, host)
    application = build_application(_settings(data_dir, sandbox), services, jobs=jobs)
    context.flush = _flusher(application, services)
    await application.initialize()
    if application.post_init:
        await application.post_init(application)
    await application.start()
    assert application.updater is not None
    # Short long-polls: stopping the demo never waits for a getUpdates still held open by the sandbox.
    await application.updater.start_polling(poll_interval=0, timeout=2)
    return Demo(sandbox, services, clock, application, seed, data_dir, wechat)


def _flusher(application: Any, services: Services) -> Any:
    """One outbox delivery pass through the bot, as the outbox job makes every second."""
    from services.delivery import deliver_due

    async def flush() -> int:
        return await deliver_due(services)

    return flush


async def stop_demo(demo: Demo) -> None:
    """Stop the bot, then the sandbox, and close the database."""
    application = demo.application
    await cancel_background()
    if application.updater.running:
        await application.updater.stop()
    if application.running:
        await application.stop()
    await application.shutdown()
    if demo.wechat is not None:
        await demo.wechat.close()
    await demo.sandbox.stop()
    await demo.services.db.dispose()


async def run_demo(data_dir: Path, *, host: str = "127.0.0.1", port: int = 8080) -> None:
    """Start the demo, print where it is, and serve until interrupted."""
    demo = await start_demo(data_dir, host=host, port=port)
    seed = demo.seed
    print(f"citybot demo: {seed.units} grid units, {seed.bindings} officer bindings, {seed.cases} seeded cases")
    print(f"citybot demo: web chat at {demo.url}/  (Ctrl-C to stop; data in {data_dir})", flush=True)
    try:
        await until_stopped()
    finally:
        await stop_demo(demo)
