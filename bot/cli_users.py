"""``citybot users ...``: the ban list. A banned person's reports and files are refused in their language."""

from __future__ import annotations

import typer

from bot.cli_grids import fail, run_with_services
from channels.telegram import CHANNEL as TELEGRAM
from services import users_admin
from services.users_admin import BanResult, UnknownUser, UserRef, UserView

users_app = typer.Typer(help="People who write to the bot: ban, unban, list.", no_args_is_help=True)


def _ref(telegram_id: int | None) -> UserRef:
    if telegram_id is None:
        fail("say who: --telegram-id ID (the person's numeric Telegram user id)")
    return UserRef.account(TELEGRAM, telegram_id)


def _set(ref: UserRef, banned: bool) -> BanResult:
    try:
        return run_with_services(lambda services: users_admin.set_banned(services, ref, banned))
    except UnknownUser as exc:
        fail(str(exc))
        raise  # unreachable


@users_app.command("ban")
def users_ban(telegram_id: int = typer.Option(None, help="The person's numeric Telegram user id")) -> None:
    """Ban a person: from now on nothing they send is accepted (also before they ever wrote)."""
    ref = _ref(telegram_id)
    result = _set(ref, True)
    if result.created:
        typer.echo(f"{ref} is banned (they have not written to the bot yet).")
    else:
        typer.echo(f"{ref} ({_name(result.user)}) is banned." if result.changed else f"{ref} was already banned.")


@users_app.command("unban")
def users_unban(telegram_id: int = typer.Option(None, help="The person's numeric Telegram user id")) -> None:
    """Lift a ban."""
    ref = _ref(telegram_id)
    result = _set(ref, False)
    typer.echo(f"{ref} ({_name(result.user)}) may report again." if result.changed else f"{ref} was not banned.")


@users_app.command("list")
def users_list(
    banned: bool = typer.Option(False, "--banned", help="Only banned people (the ban list)"),
    limit: int = typer.Option(users_admin.LIST_LIMIT, min=1, help="At most this many, most recently seen first"),
) -> None:
    """List people: their accounts (channel:id), name, role, banned, last seen (UTC)."""
    people = run_with_services(lambda services: users_admin.list_users(services, banned_only=banned, limit=limit))
    for person in people:
        seen = person.last_seen_at.strftime("%Y-%m-%d %H:%M") if person.last_seen_at else "never"
        flag = "banned" if person.banned else "-"
        accounts = ",".join(person.accounts) or "-"
        typer.echo(f"{accounts}\t{_name(person)}\t{person.role.value}\t{flag}\t{seen}")
    if not people:
        typer.echo("Nobody is banned." if banned else "Nobody has written to the bot yet.")


def _name(person: UserView) -> str:
    return person.first_name or "(no name)"
