"""The ban list: the service on both databases, and `citybot users ban|unban|list`."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from channels.telegram import CHANNEL as TELEGRAM
from models.uow import UnitOfWork
from models.users import User
from services.context import Services
from services.intake_limits import IntakeRefused, ensure_may_report
from services.users_admin import UnknownUser, UserRef, is_banned, list_users, set_banned
from tests.world import tg_user

runner = CliRunner()


async def test_a_ban_reaches_the_report_check_and_an_unban_lifts_it(services: Services) -> None:
    async with UnitOfWork(services.db) as uow:
        uow.session.add(tg_user(42, first_name="Anna", created_at=services.clock.now()))
        await uow.commit()
    first = await set_banned(services, UserRef.account(TELEGRAM, 42), True)
    again = await set_banned(services, UserRef(user_id=first.user.user_id), True)  # the same person by internal id
    assert (first.changed, first.created, again.changed) == (True, False, False)
    async with UnitOfWork(services.db) as uow:
        user = await uow.session.get(User, first.user.user_id)
        assert user is not None
        with pytest.raises(IntakeRefused):
            await ensure_may_report(services, uow.session, user)
    lifted = await set_banned(services, UserRef.account(TELEGRAM, 42), False)
    assert lifted.changed and not await is_banned(services, UserRef.account(TELEGRAM, 42))


async def test_someone_who_never_wrote_can_be_banned_ahead(services: Services) -> None:
    result = await set_banned(services, UserRef.account(TELEGRAM, 777), True)
    assert result.created and result.user.banned
    assert await is_banned(services, UserRef.account(TELEGRAM, 777))
    assert [u.accounts for u in await list_users(services, banned_only=True)] == [("telegram:777",)]


async def test_unbanning_someone_unknown_says_so(services: Services) -> None:
    with pytest.raises(UnknownUser, match="no Telegram user 5 has written to the bot"):
        await set_banned(services, UserRef.account(TELEGRAM, 5), False)
    with pytest.raises(UnknownUser, match="no user 99 has written to the bot"):
        await set_banned(services, UserRef(user_id=99), True)  # an internal id names an existing row only


def test_a_person_is_named_by_exactly_one_id() -> None:
    with pytest.raises(ValueError, match="exactly one"):
        UserRef()
    with pytest.raises(ValueError, match="exactly one"):
        UserRef(user_id=1, channel=TELEGRAM, external_id=2)
    with pytest.raises(ValueError, match="exactly one"):
        UserRef(external_id=2)  # an account needs its channel


def test_the_cli_bans_lists_and_unbans(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CITYBOT_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'city.db'}")
    assert runner.invoke(app, ["users", "list", "--banned"]).output == "Nobody is banned.\n"
    banned = runner.invoke(app, ["users", "ban", "--telegram-id", "123456"])
    assert (banned.exit_code, banned.output) == (
        0,
        "Telegram user 123456 is banned (they have not written to the bot yet).\n",
    )
    listing = runner.invoke(app, ["users", "list", "--banned"])
    assert listing.output.split("\t")[0] == "telegram:123456" and "\tbanned\t" in listing.output
    unbanned = runner.invoke(app, ["users", "unban", "--telegram-id", "123456"])
    assert unbanned.output == "Telegram user 123456 ((no name)) may report again.\n"
    assert runner.invoke(app, ["users", "list", "--banned"]).output == "Nobody is banned.\n"
    unknown = runner.invoke(app, ["users", "unban", "--telegram-id", "5"])
    assert (unknown.exit_code, unknown.output) == (2, "citybot: no Telegram user 5 has written to the bot\n")
    missing = runner.invoke(app, ["users", "ban"])
    assert missing.exit_code == 2 and "--telegram-id" in missing.output
