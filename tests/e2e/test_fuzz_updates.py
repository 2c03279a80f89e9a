"""Fuzz: thousands of generated updates through the real application, on SQLite and PostgreSQL.

The deployed bot (``build_application``, polling the offline sandbox) gets 10,000 updates on SQLite and 2,000 on
PostgreSQL (12,000 in all; the seed is ``CITYBOT_FUZZ_SEED`` or fixed) from 120 people, two groups, an officer and a
supervisor: see ``fuzz_updates.py`` for what they do. Afterwards:

- no update raised: the error handler never fired and nothing was logged as an error;
- no half-written row: every case has its unit (or waits for a dispatcher), a deadline while its clock runs, a
  history and its reporter among its followers; every draft, question and photo belongs to someone who exists;
- everyone is still answered: a last /start from each person gets the greeting.

The per-person rate limit is off here (its own tests cover it), so every update reaches the handlers.
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import text

from bot.app import build_application
from bot.settings import Settings
from bot.updates import PerChatUpdateProcessor
from channels.telegram import CHANNEL
from models.grid import BindingRole
from models.uow import UnitOfWork
from sandbox.server import SandboxServer
from sandbox.state import UserAccount
from sandbox.useractions import make_actor, send_text
from services import routing
from services.context import Services
from services.inbound_limit import InboundLimiter
from services.officers import add_officer
from services.users import Identity
from tests.e2e.conftest import TOKEN
from tests.e2e.fuzz_updates import RANGES, Fuzzer
from tests.integration.test_intake_submit import make_grid

SEED = int(os.environ.get("CITYBOT_FUZZ_SEED", "20261130"))
COUNTS = {"sqlite": 10_000, "postgres": 2_000}
PEOPLE = 120
GROUPS = (-1001, -1002)

#: What must hold of the stored rows whatever was sent: each query counts the rows that break a rule.
INVARIANTS = {
    "a routed case without its unit": "SELECT count(*) FROM cases WHERE status NOT IN "
    "('unrouted', 'rejected', 'duplicate', 'submitted') AND unit_id IS NULL",
    "a case whose clock runs without a deadline": "SELECT count(*) FROM cases "
    "WHERE status IN ('dispatched', 'accepted', 'rework') AND due_at IS NULL",
    "a case left half-filed (submitted)": "SELECT count(*) FROM cases WHERE status = 'submitted'",
    "a case without history": "SELECT count(*) FROM cases c WHERE NOT EXISTS "
    "(SELECT 1 FROM case_events e WHERE e.case_id = c.id)",
    "a case whose reporter does not follow it": "SELECT count(*) FROM cases c WHERE NOT EXISTS "
    "(SELECT 1 FROM case_followers f WHERE f.case_id = c.id AND f.user_id = c.reporter_id)",
    "a duplicate without its parent": "SELECT count(*) FROM cases "
    "WHERE status = 'duplicate' AND parent_case_id IS NULL",
    "a draft of nobody": "SELECT count(*) FROM report_drafts d "
    "WHERE NOT EXISTS (SELECT 1 FROM users u WHERE u.id = d.user_id)",
    "a draft with too many photos": "SELECT count(*) FROM (SELECT draft_id FROM photos WHERE draft_id IS NOT NULL "
    "GROUP BY draft_id HAVING count(*) > 5) over_limit",
    "a question about no case": "SELECT count(*) FROM pending_inputs p WHERE p.case_id IS NOT NULL AND NOT EXISTS "
    "(SELECT 1 FROM cases c WHERE c.id = p.case_id)",
    "a case with impossible coordinates": "SELECT count(*) FROM cases "
    "WHERE lat < -90 OR lat > 90 OR lon < -180 OR lon > 180",
    "an outbox message to nowhere": "SELECT count(*) FROM outbox WHERE address IS NULL OR address = ''",
}


class ErrorLog(logging.Handler):
    """Collects every record logged at ERROR or above."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
async def application(sandbox: SandboxServer, services: Services) -> AsyncIterator[Any]:
    """The bot as deployed over the test's database, polling the sandbox, with the inbound limit off."""
    sandbox.state.register_bot(TOKEN, username="citybot_test_bot", first_name="citybot")
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        telegram_token=TOKEN,
        telegram_base_url=sandbox.base_url,
        telegram_base_file_url=sandbox.base_file_url,
    )
    services.default_channel = CHANNEL
    routing.install(services)
    app = build_application(settings, services, jobs=False, limiter=InboundLimiter(0))
    await app.initialize()
    assert app.post_init is not None
    await app.post_init(app)
    await app.start()
    await app.updater.start_polling(poll_interval=0, timeout=1)
    try:
        yield app
    finally:
        if app.updater.running:
            await app.updater.stop()
        if app.running:
            await app.stop()
        await app.shutdown()


async def drained(app: Any, sandbox: SandboxServer, budget: float = 120.0) -> None:
    """Wait until the bot fetched and handled everything sent so far (album answers included)."""
    bot = sandbox.state.pick_bot(TOKEN)
    processor = app.update_processor
    assert isinstance(processor, PerChatUpdateProcessor)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + budget
    while bot.updates.pending or not app.update_queue.empty() or processor.busy_chats:
        assert loop.time() < deadline, "the bot did not keep up with the fuzz"
        await asyncio.sleep(0.05)


async def people(sandbox: SandboxServer, services: Services, fuzzer_seed: int) -> list[UserAccount]:
    """The fuzzed people (names in every script), one of them the grid's officer and one a supervisor."""
    rng = random.Random(fuzzer_seed)
    made = []
    for n in range(PEOPLE):
        low, high = rng.choice(RANGES[:7])
        name = "".join(chr(rng.randint(low, high)) for _ in range(rng.choice((1, 5, 64)))).strip() or "P"
        language = rng.choice((None, "en", "zh-hans", "zh", "xx", "pt-br"))
        made.append(sandbox.state.add_user(UserAccount(7_000_000 + n, name, language_code=language)))
    for chat_id in GROUPS:
        sandbox.state.add_group(chat_id, f"group {chat_id}", kind="supergroup")
    async with UnitOfWork(services.db) as uow:
        for user, role, unit in ((made[0], BindingRole.OFFICER, "G-1"), (made[1], BindingRole.SUPERVISOR, "C-1")):
            who = Identity(user.id, user.first_name, None, user.language_code, channel=CHANNEL)
            await add_officer(uow.session, who, unit, now=services.clock.now(), role=role, display_name="staff")
        await uow.commit()
    return made


async def broken_rows(services: Services) -> dict[str, int]:
    """Each invariant with the number of rows that break it, when any do."""
    found = {}
    async with UnitOfWork(services.db) as uow:
        for rule, query in INVARIANTS.items():
            if broken := int(await uow.session.scalar(text(query)) or 0):
                found[rule] = broken
    return found


async def test_generated_updates_never_break_the_bot(
    application: Any, sandbox: SandboxServer, services: Services, db_url: tuple[str, dict[str, Any]]
) -> None:
    total = int(
        os.environ.get("CITYBOT_FUZZ_COUNT", COUNTS["postgres" if db_url[0].startswith("postgresql") else "sqlite"])
    )
    await make_grid(services)
    await routing.load_grid_index(services)
    errors: list[object] = []

    async def record(update: object, context: Any) -> None:
        errors.append(context.error)

    application.add_error_handler(record)
    error_log = ErrorLog()
    logging.getLogger().addHandler(error_log)
    try:
        crowd = await people(sandbox, services, SEED)
        bot = sandbox.state.pick_bot(TOKEN)
        fuzzer = Fuzzer(sandbox.state, bot, crowd, list(GROUPS), SEED)
        while fuzzer.sent < total:
            fuzzer.step()
            if fuzzer.sent % 200 < 2 or len(bot.updates.pending) > 300:
                await drained(application, sandbox)
        await drained(application, sandbox)
        await asyncio.sleep(services.config.reporting.album_wait_seconds + 0.2)  # the last albums' answers
        for person in crowd:
            sandbox_post_start(sandbox, person)
        await drained(application, sandbox)
    finally:
        logging.getLogger().removeHandler(error_log)
    assert errors == [], f"seed {SEED}: the error handler fired: {errors[:5]}"
    assert [r.getMessage() for r in error_log.records] == [], f"seed {SEED}"
    assert await broken_rows(services) == {}, f"seed {SEED}"
    unanswered = [p.id for p in crowd if not greeted_last(sandbox, p)]
    assert unanswered == [], f"seed {SEED}: no answer to /start for {len(unanswered)} people"


def sandbox_post_start(sandbox: SandboxServer, person: UserAccount) -> None:
    """The person sends /start in their own chat."""
    send_text(make_actor(sandbox.state, person.id, TOKEN, None), {"text": "/start"}, [])


def greeted_last(sandbox: SandboxServer, person: UserAccount) -> bool:
    """Whether the bot answered the person's last /start with the greeting (in either language)."""
    conv = sandbox.state.conversation(sandbox.state.pick_bot(TOKEN), person.chat_json())
    records = list(conv.messages.values())
    asked = max(i for i, r in enumerate(records) if not r.from_bot and r.data.get("text") == "/start")
    after = [r.data.get("text", "") for r in records[asked + 1 :] if r.from_bot]
    return any("street-care assistant" in said or "市容随手拍助手" in said for said in after)
