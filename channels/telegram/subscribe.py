"""/subscribe, /unsubscribe and /leaderboard: who gets the weekly report (周通报), who is on the volunteer board.

Buttons: ``sub:city``, ``sub:u:<area>`` (subscribe to a street or community), ``sub:s:<street>`` (show the
street's communities), ``sub:p:<offset>`` (another page of streets). An area is its unit id, or ``#`` and a digest
when the id would not fit Telegram's 64 bytes; every press re-checks the area in the database.
"""

from __future__ import annotations

import hashlib

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ChatType
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes

from channels.telegram.common import EVERYONE, GROUP_COMMANDS, Turn, add_command, turn
from models.grid import GridUnit, UnitLevel
from services.i18n import N_, Translator
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


def area_token(unit_id: str) -> str:
    """The unit id if ``sub:s:<id>`` fits in callback data, else ``#`` and a digest of it."""
    if len(f"sub:s:{unit_id}".encode()) <= 64:
        return unit_id
    return "#" + hashlib.sha1(unit_id.encode()).hexdigest()[:16]


async def resolve_token(tn: Turn, token: str) -> GridUnit:
    """The street or community behind a button's token; UnknownArea if there is none any more."""
    if not token.startswith("#"):
        return await area(tn.session, token)
    streets = await areas(tn.session)
    candidates = list(streets)
    for street in streets:
        candidates += await areas(tn.session, street.id)
    for unit in candidates:
        if area_token(unit.id) == token:
            return unit
    raise UnknownArea(token)


def _opens(unit: GridUnit) -> str:
    """A street opens its communities; a community is chosen at once."""
    return "s" if unit.level == UnitLevel.STREET else "u"


def _two_per_row(buttons: list[InlineKeyboardButton]) -> list[list[InlineKeyboardButton]]:
    return [buttons[i : i + 2] for i in range(0, len(buttons), 2)]


async def top_keyboard(tn: Turn, offset: int = 0) -> InlineKeyboardMarkup:
    """Whole city, then a page of streets (a street opens its communities)."""
    choices = await areas(tn.session)
    rows = [[InlineKeyboardButton(tn.t("Whole city"), callback_data="sub:city")]]
    page = choices[offset : offset + PAGE]
    rows += _two_per_row(
        [InlineKeyboardButton(u.name, callback_data=f"sub:{_opens(u)}:{area_token(u.id)}") for u in page]
    )
    nav = []
    if offset > 0:
        nav.append(InlineKeyboardButton("«", callback_data=f"sub:p:{max(0, offset - PAGE)}"))
    if offset + PAGE < len(choices):
        nav.append(InlineKeyboardButton("»", callback_data=f"sub:p:{offset + PAGE}"))
    return InlineKeyboardMarkup([*rows, nav] if nav else rows)


async def street_keyboard(tn: Turn, street: GridUnit) -> InlineKeyboardMarkup:
    """The whole street, then each of its communities, and a way back."""
    token = area_token(street.id)
    rows = [[InlineKeyboardButton(tn.t("All of {street}", street=street.name), callback_data=f"sub:u:{token}")]]
    communities = await areas(tn.session, street.id)
    rows += _two_per_row([InlineKeyboardButton(c.name, callback_data=f"sub:u:{area_token(c.id)}") for c in communities])
    rows.append([InlineKeyboardButton(tn.t("« Back"), callback_data="sub:p:0")])
    return InlineKeyboardMarkup(rows)


async def _subscribe_to(tn: Turn, update: Update, unit: GridUnit | None) -> str:
    chat = update.effective_chat
    assert chat is not None
    private = chat.type == ChatType.PRIVATE
    await subscribe(
        tn.session,
        chat_id=chat.id,
        unit_id=unit.id if unit is not None else None,
        language=tn.user.locale,
        now=tn.services.clock.now(),
        user_id=tn.user.id if private else None,
    )
    name = unit.name if unit is not None else tn.t("the whole city")
    return tn.t("Subscribed: you will receive the weekly report for {area}. Send /unsubscribe to stop it.", area=name)


async def subscribe_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """``/subscribe`` shows the areas; ``/subscribe city`` or ``/subscribe <street or community>`` subscribes."""
    message = update.effective_message
    chat = update.effective_chat
    assert message is not None and chat is not None
    wanted = " ".join(context.args or []).strip()
    async with turn(update, context) as tn:
        if wanted:
            unit = None if wanted.lower() in CITY_WORDS else await find_area(tn.session, wanted)
            if unit is None and wanted.lower() not in CITY_WORDS:
                text = tn.t("I don't know the area “{name}”. Send /subscribe and pick one from the list.", name=wanted)
            else:
                text = await _subscribe_to(tn, update, unit)
            keyboard = None
        else:
            current = await subscription_of(tn.session, chat.id)
            text = tn.t("Which area's weekly report would you like?")
            if current is not None and current.active:
                unit = await tn.session.get(GridUnit, current.unit_id) if current.unit_id else None
                text += "\n" + tn.t("Now: {area}", area=unit.name if unit is not None else tn.t("Whole city"))
            keyboard = await top_keyboard(tn)
    await message.reply_text(text, reply_markup=keyboard)


async def subscribe_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Apply a press on the /subscribe keyboard: subscribe, open a street, or turn the page."""
    query = update.callback_query
    assert query is not None
    parts = (query.data or "").split(":", 2)
    action, arg = (parts[1], parts[2]) if len(parts) == 3 else (parts[-1], "")
    async with turn(update, context) as tn:
        try:
            if action == "city":
                text, keyboard = await _subscribe_to(tn, update, None), None
            elif action == "u":
                text, keyboard = await _subscribe_to(tn, update, await resolve_token(tn, arg)), None
            elif action == "s":
                street = await resolve_token(tn, arg)
                text, keyboard = tn.t("Which area's weekly report would you like?"), await street_keyboard(tn, street)
            elif action == "p" and arg.isdigit():
                text, keyboard = tn.t("Which area's weekly report would you like?"), await top_keyboard(tn, int(arg))
            else:
                raise UnknownArea(arg)
        except UnknownArea:
            await query.answer(tn.t("This button is no longer valid."), show_alert=True)
            return
    await query.answer()
    await query.edit_message_text(text, reply_markup=keyboard)


async def unsubscribe_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Stop the weekly report for this chat."""
    message = update.effective_message
    chat = update.effective_chat
    assert message is not None and chat is not None
    async with turn(update, context) as tn:
        ended = await unsubscribe(tn.session, chat.id, tn.services.clock.now())
        if ended:
            text = tn.t("You will no longer receive the weekly report.")
        else:
            text = tn.t("This chat is not subscribed to the weekly report. Send /subscribe to get it.")
    await message.reply_text(text)


def _leaderboard_text(t: Translator, on: bool, code: str) -> str:
    if on:
        return t(
            "You are on the volunteer leaderboard as “{name}”; only this pseudonym is shown. "
            "Send /leaderboard off to leave it.",
            name=t("Volunteer {code}", code=code),
        )
    return t(
        "You are not on the volunteer leaderboard. The weekly report lists the volunteers with the most valid "
        "reports under a pseudonym; send /leaderboard on to join."
    )


async def leaderboard_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """``/leaderboard on|off``: join or leave the volunteer leaderboard; without an argument, say where you stand."""
    message = update.effective_message
    assert message is not None
    choice = (context.args[0] if context.args else "").lower()
    async with turn(update, context) as tn:
        if choice in ("on", "off", "开", "关"):
            code = set_leaderboard(tn.user, choice in ("on", "开"))
        else:
            code = pseudonym(tn.user)
        text = _leaderboard_text(tn.t, tn.user.leaderboard_opt_in, code)
    await message.reply_text(text)


def register(app: Application) -> None:  # type: ignore[type-arg]
    """Add /subscribe, /unsubscribe, /leaderboard and the area buttons."""
    add_command("subscribe", N_("Get the weekly report for the city or your area"), EVERYONE)
    add_command("unsubscribe", N_("Stop the weekly report"), EVERYONE)
    add_command("leaderboard", N_("Join or leave the volunteer leaderboard: on / off"), EVERYONE)
    app.add_handler(CommandHandler("subscribe", subscribe_command), GROUP_COMMANDS)
    app.add_handler(CommandHandler("unsubscribe", unsubscribe_command), GROUP_COMMANDS)
    app.add_handler(CommandHandler("leaderboard", leaderboard_command), GROUP_COMMANDS)
    app.add_handler(CallbackQueryHandler(subscribe_button, pattern=r"^sub:"), GROUP_COMMANDS)
