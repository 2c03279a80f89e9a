"""/subscribe, /unsubscribe and /leaderboard: who gets the weekly report (周通报), who is on the volunteer board.

Choices: ``sub:city``, ``sub:u:<area>`` (subscribe to a street or community), ``sub:s:<street>`` (show the
street's communities), ``sub:c:<offset>:<street>`` (another page of them), ``sub:p:<offset>`` (another page of
streets). An area is its unit id, or ``#`` and a digest when the id would make the token too long; every pick
re-checks the area in the database.
"""

from __future__ import annotations

import hashlib

from models.grid import GridUnit, UnitLevel
from services.conversation.events import Command
from services.conversation.replies import Choices, Edit, Reply
from services.conversation.tokens import MAX_BYTES
from services.conversation.turn import STALE, Turn
from services.i18n import N_
from services.messages import Choice, Message, Text, msg, text
from services.outbox import Contact
from services.summary.leaderboard import pseudonym, set_leaderboard
from services.summary.subscriptions import (
    UnknownArea,
    area,
    areas,
    find_area,
    subscribe,
    subscription_of,
    unsubscribe,
)

PAGE = 20
CITY_WORDS = ("city", "all", "全市")
WHICH = N_("Which area's weekly report would you like?")


def area_token(unit_id: str) -> str:
    """The unit id if ``sub:s:<id>`` stays short enough for every channel, else ``#`` and a digest of it."""
    if len(f"sub:s:{unit_id}".encode()) <= MAX_BYTES:
        return unit_id
    return "#" + hashlib.sha1(unit_id.encode()).hexdigest()[:16]


async def resolve_token(turn: Turn, token: str) -> GridUnit:
    """The street or community behind a choice's token; UnknownArea if there is none any more."""
    if not token.startswith("#"):
        return await area(turn.session, token)
    streets = await areas(turn.session)
    candidates = list(streets)
    for street in streets:
        candidates += await areas(turn.session, street.id)
    for unit in candidates:
        if area_token(unit.id) == token:
            return unit
    raise UnknownArea(token)


def _opens(unit: GridUnit) -> str:
    """A street opens its communities; a community is chosen at once."""
    return "s" if unit.level == UnitLevel.STREET else "u"


def _two_per_row(choices: list[Choice]) -> list[tuple[Choice, ...]]:
    return [tuple(choices[i : i + 2]) for i in range(0, len(choices), 2)]


async def top_choices(turn: Turn, offset: int = 0) -> Choices:
    """Whole city, then a page of streets (a street opens its communities)."""
    found = await areas(turn.session)
    rows: list[tuple[Choice, ...]] = [(Choice(text("Whole city"), "sub:city"),)]
    page = found[offset : offset + PAGE]
    rows += _two_per_row([Choice(Text.raw(u.name), f"sub:{_opens(u)}:{area_token(u.id)}") for u in page])
    nav = []
    if offset > 0:
        nav.append(Choice(Text.raw("«"), f"sub:p:{max(0, offset - PAGE)}"))
    if offset + PAGE < len(found):
        nav.append(Choice(Text.raw("»"), f"sub:p:{offset + PAGE}"))
    return tuple([*rows, tuple(nav)] if nav else rows)


async def street_choices(turn: Turn, street: GridUnit, offset: int = 0) -> Choices:
    """The whole street, then a page of its communities, and a way back (a keyboard stays far under 100 buttons)."""
    token = area_token(street.id)
    rows: list[tuple[Choice, ...]] = [(Choice(text("All of {street}", street=street.name), f"sub:u:{token}"),)]
    communities = await areas(turn.session, street.id)
    page = communities[offset : offset + PAGE]
    rows += _two_per_row([Choice(Text.raw(c.name), f"sub:u:{area_token(c.id)}") for c in page])
    nav = []
    if offset > 0:
        nav.append(Choice(Text.raw("«"), _street_page(street, max(0, offset - PAGE))))
    if offset + PAGE < len(communities):
        nav.append(Choice(Text.raw("»"), _street_page(street, offset + PAGE)))
    if nav:
        rows.append(tuple(nav))
    rows.append((Choice(text("« Back"), "sub:p:0"),))
    return tuple(rows)


def _street_page(street: GridUnit, offset: int) -> str:
    """``sub:c:<offset>:<street>``, the street as a digest when its id would make the token too long."""
    token = f"sub:c:{offset}:{area_token(street.id)}"
    if len(token.encode()) <= MAX_BYTES:
        return token
    return f"sub:c:{offset}:#{hashlib.sha1(street.id.encode()).hexdigest()[:16]}"


def _street_page_of(arg: str) -> tuple[int, str] | None:
    """The offset and street token of a ``sub:c`` choice, or None when it is not one."""
    offset, _, street = arg.partition(":")
    return (int(offset), street) if offset.isascii() and offset.isdigit() and street else None


def _here(turn: Turn) -> Contact:
    """Where a weekly report subscribed from this conversation goes."""
    return Contact(turn.sender.identity.channel, str(turn.sender.place))


async def _subscribe_to(turn: Turn, unit: GridUnit | None) -> Text:
    await subscribe(
        turn.session,
        contact=_here(turn),
        unit_id=unit.id if unit is not None else None,
        language=turn.user.locale,
        now=turn.now,
        user_id=turn.user.id if turn.sender.private else None,
    )
    name: object = unit.name if unit is not None else msg("the whole city")
    return text("Subscribed: you will receive the weekly report for {area}. Send /unsubscribe to stop it.", area=name)


ADMINS_ONLY = N_("Only the group's admins can change its weekly report.")


def _may_change(turn: Turn) -> bool:
    """Anyone decides for their own conversation; in a group, only its admins."""
    return turn.sender.private or turn.sender.group_admin


async def subscribe_command(turn: Turn, command: Command) -> Reply:
    """``/subscribe`` shows the areas; ``/subscribe city`` or ``/subscribe <street or community>`` subscribes."""
    if not _may_change(turn):
        return Reply.say(Text(ADMINS_ONLY))
    wanted = " ".join(command.args).strip()
    if wanted:
        unit = None if wanted.lower() in CITY_WORDS else await find_area(turn.session, wanted)
        if unit is None and wanted.lower() not in CITY_WORDS:
            unknown = text("I don't know the area “{name}”. Send /subscribe and pick one from the list.", name=wanted)
            return Reply.say(unknown)
        return Reply.say(await _subscribe_to(turn, unit))
    said = [Text(WHICH)]
    current = await subscription_of(turn.session, _here(turn))
    if current is not None and current.active:
        unit = await turn.session.get(GridUnit, current.unit_id) if current.unit_id else None
        said.append(text("Now: {area}", area=unit.name if unit is not None else msg("Whole city")))
    return Reply(messages=[Message(tuple(said), await top_choices(turn))])


async def pick(turn: Turn, token: str) -> Reply:
    """Apply a pick on the /subscribe choices: subscribe, open a street, or turn the page."""
    if not _may_change(turn):
        return Reply(alert=Text(ADMINS_ONLY))
    parts = token.split(":", 2)
    action, arg = (parts[1], parts[2]) if len(parts) == 3 else (parts[-1], "")
    try:
        if action == "city":
            edit = Edit((await _subscribe_to(turn, None),))
        elif action == "u":
            edit = Edit((await _subscribe_to(turn, await resolve_token(turn, arg)),))
        elif action == "s":
            edit = Edit((Text(WHICH),), await street_choices(turn, await resolve_token(turn, arg)))
        elif action == "c" and (page := _street_page_of(arg)) is not None:
            offset, street = page
            edit = Edit((Text(WHICH),), await street_choices(turn, await resolve_token(turn, street), offset))
        elif action == "p" and arg.isascii() and arg.isdigit():
            edit = Edit((Text(WHICH),), await top_choices(turn, int(arg)))
        else:
            raise UnknownArea(arg)
    except UnknownArea:
        return Reply(alert=Text(STALE))
    return Reply(edit=edit)


async def unsubscribe_command(turn: Turn) -> Reply:
    """Stop the weekly report for this conversation."""
    if not _may_change(turn):
        return Reply.say(Text(ADMINS_ONLY))
    if await unsubscribe(turn.session, _here(turn), turn.now):
        return Reply.say(text("You will no longer receive the weekly report."))
    return Reply.say(text("This chat is not subscribed to the weekly report. Send /subscribe to get it."))


async def leaderboard_command(turn: Turn, command: Command) -> Reply:
    """``/leaderboard on|off``: join or leave the volunteer leaderboard; without an argument, say where you stand."""
    choice = (command.args[0] if command.args else "").lower()
    if choice in ("on", "off", "开", "关"):
        code = set_leaderboard(turn.user, choice in ("on", "开"))
    else:
        code = pseudonym(turn.user)
    if turn.user.leaderboard_opt_in:
        return Reply.say(
            text(
                "You are on the volunteer leaderboard as “{name}”; only this pseudonym is shown. "
                "Send /leaderboard off to leave it.",
                name=turn.t("Volunteer {code}", code=code),
            )
        )
    return Reply.say(
        text(
            "You are not on the volunteer leaderboard. The weekly report lists the volunteers with the most valid "
            "reports under a pseudonym; send /leaderboard on to join."
        )
    )
