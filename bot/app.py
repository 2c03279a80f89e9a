"""Composition root: build the PTB Application with every service, handler and job wired."""

from __future__ import annotations

import logging
from pathlib import Path
from zoneinfo import ZoneInfo

from telegram import BotCommand
from telegram.ext import Application, ApplicationBuilder, Defaults

from bot.settings import Settings
from bot.updates import InboundGate, PerChatUpdateProcessor
from channels.open311.callback import Open311CallbackSender
from channels.telegram import CHANNEL as TELEGRAM
from channels.telegram.handlers import register as register_telegram
from channels.telegram.request import PooledBot
from channels.telegram.sender import TelegramSender
from models.db import Database
from models.users import Role
from scheduler import register_jobs
from services import routing
from services.clock import Clock, SystemClock
from services.config import AppConfig, load_config
from services.context import Services
from services.conversation import Conversation
from services.conversation.commands import EVERYONE, commands_for
from services.i18n import Translator
from services.inbound_limit import InboundLimiter

log = logging.getLogger(__name__)


class MissingToken(RuntimeError):
    """No Telegram token was configured."""


def build_services(settings: Settings, *, clock: Clock | None = None, config: AppConfig | None = None) -> Services:
    """Database, configuration and clock for ``settings``."""
    config = config or load_config(settings.config)
    db = Database(settings.database_url)
    data_dir = Path(settings.data_dir)
    svc = Services.build(db, config, clock or SystemClock(), settings.timezone, data_dir)
    svc.default_channel = TELEGRAM
    routing.install(svc)
    return svc


def build_application(
    settings: Settings,
    services: Services | None = None,
    *,
    clock: Clock | None = None,
    jobs: bool = True,
    limiter: InboundLimiter | None = None,
) -> Application:  # type: ignore[type-arg]
    """The bot, pointed at ``settings.telegram_base_url``, with handlers and (optionally) scheduled jobs.

    ``limiter`` counts what each person sends (by default one per application, at the configured rate).
    """
    if not settings.telegram_token:
        raise MissingToken("CITYBOT_TELEGRAM_TOKEN is not set")
    svc = services or build_services(settings, clock=clock)
    owns_services = services is None
    callbacks = Open311CallbackSender(svc)
    if limiter is None:
        limiter = InboundLimiter(svc.config.limits.messages_per_minute)

    async def post_init(app: Application) -> None:  # type: ignore[type-arg]
        svc.channels.register(TelegramSender(app.bot, svc))
        svc.channels.register(callbacks)  # status updates to Open311 clients' callback URLs
        for hook in svc.startup_hooks:
            await hook(svc)
        await _publish_commands(app)

    async def post_shutdown(app: Application) -> None:  # type: ignore[type-arg]
        await callbacks.close()
        if owns_services:
            await svc.db.dispose()

    bot = PooledBot(
        settings.telegram_token,
        base_url=settings.telegram_base_url,
        base_file_url=settings.telegram_base_file_url,
        defaults=Defaults(tzinfo=ZoneInfo(settings.timezone)),
    )
    # The rate limit: polled updates of a person in their quiet minute are dropped before they are decoded, every
    # other update is screened as it arrives, before it waits for its chat's turn.
    gate = InboundGate(svc, limiter)
    bot.screen_arrivals(gate.keep_arrival)
    app = (
        ApplicationBuilder()
        .bot(bot)
        .concurrent_updates(PerChatUpdateProcessor(gate=gate))
        .post_init(post_init)
        .post_shutdown(post_shutdown)
        .build()
    )
    app.bot_data["services"] = svc
    register_telegram(app, Conversation(svc))
    if jobs:
        register_jobs(app, svc)
    return app


async def _publish_commands(app: Application) -> None:  # type: ignore[type-arg]
    """Show the citizen commands in Telegram's menu, in both languages."""
    citizen = [c for c in commands_for(Role.CITIZEN) if c.roles == EVERYONE]
    for locale, code in (("en", None), ("zh_CN", "zh")):
        t = Translator(locale)
        commands = [BotCommand(c.name, t(c.description)[:256]) for c in citizen]
        try:
            await app.bot.set_my_commands(commands, language_code=code)
        except Exception:  # the menu is a nicety; the bot works without it
            log.warning("could not publish the command menu", exc_info=True)
