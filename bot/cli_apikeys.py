"""``citybot apikeys ...``: keys for the systems that file cases over the Open311 API."""

from __future__ import annotations

import typer

from bot.cli_grids import fail, run_with_services
from services import apikeys
from services.apikeys import ApiKeyError, KeyInfo
from services.context import Services

apikeys_app = typer.Typer(help="API keys of the Open311 API (311 apps, hotlines, FixMyStreet).", no_args_is_help=True)


def _stamp(info: KeyInfo) -> str:
    return info.created_at.strftime("%Y-%m-%d %H:%M")


@apikeys_app.command("add")
def apikeys_add(
    name: str = typer.Argument(..., help="Who uses the key, e.g. hotline-12345 (cases show open311:NAME as source)"),
    rate: str = typer.Option("60/min", help="Requests allowed per s, min, h or day, e.g. 60/min"),
    callback: str | None = typer.Option(
        None, "--callback", metavar="URL", help="Post the status changes of the key's cases to this http(s) URL"
    ),
) -> None:
    """Make a key and print it once: only its hash is stored."""

    async def work(services: Services) -> tuple[KeyInfo, str]:
        return await apikeys.create_key(services, name, rate, callback)

    try:
        info, key = run_with_services(work)
    except ApiKeyError as exc:
        fail(str(exc))
    typer.echo(key)
    posts = f", status updates posted to {info.callback_url}" if info.callback_url else ""
    typer.echo(f"key {info.name!r} ({info.rate}{posts}) made; this is the only time it is shown", err=True)


@apikeys_app.command("list")
def apikeys_list() -> None:
    """List keys: name, key prefix, rate, created, revoked, callback URL ("-": none)."""

    async def work(services: Services) -> list[KeyInfo]:
        return await apikeys.list_keys(services)

    for info in run_with_services(work):
        revoked = info.revoked_at.strftime("revoked %Y-%m-%d %H:%M") if info.revoked_at else "active"
        callback = info.callback_url or "-"
        typer.echo(f"{info.name}\t{info.prefix}…\t{info.rate}\t{_stamp(info)}\t{revoked}\t{callback}")


@apikeys_app.command("revoke")
def apikeys_revoke(name: str = typer.Argument(..., help="The key's name")) -> None:
    """Stop a key from working at once."""

    async def work(services: Services) -> KeyInfo:
        return await apikeys.revoke_key(services, name)

    try:
        info = run_with_services(work)
    except ApiKeyError as exc:
        fail(str(exc))
    typer.echo(f"key {info.name!r} is revoked")
