"""``citybot officers ...``: bind officers and supervisors to units, and print invite links."""

from __future__ import annotations

from datetime import timedelta

import typer

from bot.cli_grids import choice, fail, run_with_services
from channels.telegram import CHANNEL as TELEGRAM
from models.grid import BindingRole
from services import officers
from services.context import Services
from services.grids import UnknownUnit
from services.users import Identity

officers_app = typer.Typer(help="Officers and supervisors bound to units; invite links.", no_args_is_help=True)
_ROLES = [role.value for role in BindingRole]


def _role(value: str) -> BindingRole:
    return BindingRole(choice(value, _ROLES, "role"))


@officers_app.command("add")
def officers_add(
    telegram_id: int = typer.Option(..., help="The person's numeric Telegram user id"),
    grid: str = typer.Option(..., help="Unit id to bind them to"),
    role: str = typer.Option("officer", help="officer (handles the unit) or supervisor (covers all below it)"),
    name: str = typer.Option("", help="Name shown to supervisors"),
) -> None:
    """Bind a Telegram user to a unit (or change their role there)."""
    chosen = _role(role)

    async def work(services: Services) -> str:
        return await officers.appoint(services, Identity(telegram_id, channel=TELEGRAM), grid, role=chosen,
                                      display_name=name)  # fmt: skip

    try:
        unit_name = run_with_services(work)
    except UnknownUnit as exc:
        fail(f"{exc}; see `citybot grids list`")
    typer.echo(f"Telegram user {telegram_id} is now {chosen.value} of {grid} ({unit_name}).")


@officers_app.command("list")
def officers_list(grid: str | None = typer.Option(None, help="Only this unit")) -> None:
    """List bindings: unit, role, Telegram id, name."""

    async def work(services: Services) -> list[officers.BindingView]:
        return await officers.bindings(services, grid)

    bindings = run_with_services(work)
    for b in bindings:
        typer.echo(f"{b.unit_id}\t{b.unit_name}\t{b.role.value}\t{b.accounts}\t{b.display_name or b.user_name}")
    if not bindings:
        typer.echo("Nobody is bound" + (f" to {grid}." if grid else " yet."))


@officers_app.command("remove")
def officers_remove(
    telegram_id: int = typer.Option(..., help="The person's numeric Telegram user id"),
    grid: str | None = typer.Option(None, help="Only this unit (default: every unit)"),
) -> None:
    """Unbind a Telegram user from one unit or from all of them."""

    async def work(services: Services) -> int:
        return await officers.dismiss(services, Identity(telegram_id, channel=TELEGRAM), grid)

    try:
        removed = run_with_services(work)
    except officers.UnknownOfficer as exc:
        fail(str(exc))
    typer.echo(f"Removed {removed} binding{'s' if removed != 1 else ''} of Telegram user {telegram_id}.")


@officers_app.command("invite")
def officers_invite(
    grid: str = typer.Option(..., help="Unit id the invite binds to"),
    role: str = typer.Option("officer", help="officer or supervisor"),
    name: str = typer.Option("", help="Name shown to supervisors (default: their Telegram name)"),
    hours: float = typer.Option(72.0, help="Hours until the link expires"),
    bot_username: str | None = typer.Option(None, envvar="CITYBOT_BOT_USERNAME", help="The bot's @username"),
) -> None:
    """Print a single-use, expiring link (and a short code to send on WeChat) that binds whoever uses it."""
    chosen = _role(role)
    if hours <= 0:
        fail("--hours must be positive")

    async def work(services: Services) -> officers.InviteView:
        return await officers.invite(services, grid, role=chosen, valid_for=timedelta(hours=hours), display_name=name)

    try:
        made = run_with_services(work)
    except UnknownUnit as exc:
        fail(f"{exc}; see `citybot grids list`")
    link = officers.invite_link(made.token, bot_username)
    if link:
        typer.echo(link)
    typer.echo(f"/start {officers.JOIN_PREFIX}{made.token}")
    typer.echo(f"Code: {made.code}  (on WeChat, send: 绑定 {made.code}  or  bind {made.code})")
    typer.echo(f"Single use, {chosen.value} of {grid}, valid until {made.expires_at.strftime('%Y-%m-%d %H:%M %Z')}.")
    if not link:
        typer.echo("(set CITYBOT_BOT_USERNAME or --bot-username to get a t.me link)", err=True)
