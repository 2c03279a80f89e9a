"""/start (and its invite links), /help, /lang, unknown commands and choices nobody offers."""

from __future__ import annotations

from models.grid import BindingRole
from services.conversation.commands import commands_for
from services.conversation.events import Command
from services.conversation.replies import Edit, Reply
from services.conversation.turn import STALE, Turn
from services.i18n import N_
from services.messages import Choice, Message, Text, text
from services.officers import InviteError, redeem_code, redeem_invite
from services.users import set_language

HELP_HINT = N_("Send /help to see what I can do.")
LANGUAGE_SET = N_("Language set to English.")
_ZH = ("zh", "zh_cn", "zh-cn", "cn", "中文")
_EN = ("en", "english")
_CODE_REFUSALS = {
    "unknown": N_("This invite code is not valid. Check it, or ask your supervisor for a new one."),
    "used": N_("This invite code has already been used. Ask your supervisor for a new one."),
    "expired": N_("This invite code has expired. Ask your supervisor for a new one."),
}
_REFUSALS = {
    "unknown": N_("This invite link is not valid. Ask your supervisor for a new one."),
    "used": N_("This invite link has already been used. Ask your supervisor for a new one."),
    "expired": N_("This invite link has expired. Ask your supervisor for a new one."),
}


async def start(turn: Turn, command: Command) -> Reply:
    """Greet the person in their language, or follow an invite link (``join_<token>``)."""
    prefix, _, rest = (command.args[0] if command.args else "").partition("_")
    if prefix == "join" and rest:
        return await _join(turn, rest)
    if turn.user.first_name:
        greeting = text(
            "Hello {name}! I am the city's street-care assistant. Send me a photo and the location of a "
            "problem — illegal posters, litter, bad parking — and I will pass it to the grid officers in "
            "charge and tell you when it is fixed.",
            name=turn.user.first_name,
        )
    else:  # a channel that gives no name (WeChat)
        greeting = text(
            "Hello! I am the city's street-care assistant. Send me a photo and the location of a "
            "problem — illegal posters, litter, bad parking — and I will pass it to the grid officers in "
            "charge and tell you when it is fixed."
        )
    return Reply.say(greeting, Text.raw(""), Text(HELP_HINT))


async def bind(turn: Turn, command: Command) -> Reply:
    """``bind <code>``: redeem an invite by its short code, the way an invite link does."""
    if not command.args:
        return Reply.say(text("Send the invite code after the word, for example: bind 7KQ2MX9A"))
    try:
        invite, unit = await redeem_code(turn.session, "".join(command.args), turn.user, turn.now)
    except InviteError as exc:
        return Reply.say(Text(_CODE_REFUSALS[exc.reason]))
    return _bound(invite.role, unit.name)


async def _join(turn: Turn, token: str) -> Reply:
    """Redeem the invite ``token`` for the person and confirm the unit they now answer for."""
    try:
        invite, unit = await redeem_invite(turn.session, token[:64], turn.user, turn.now)
    except InviteError as exc:
        return Reply.say(Text(_REFUSALS[exc.reason]))
    return _bound(invite.role, unit.name)


def _bound(role: str, unit_name: str) -> Reply:
    if role == BindingRole.SUPERVISOR:
        done = text("You are now a supervisor of {unit}: you cover every unit below it.", unit=unit_name)
    else:
        done = text("You are now the grid officer of {unit}. New cases there will come to you here.", unit=unit_name)
    return Reply.say(done, Text.raw(""), Text(HELP_HINT))


async def help_command(turn: Turn) -> Reply:
    """The commands that exist for this person's role."""
    listed = [Text.raw(f"/{c.name} — {turn.t(c.description)}") for c in commands_for(turn.user.role)]
    return Reply.say(text("Commands:"), *listed)


async def lang(turn: Turn, command: Command) -> Reply:
    """``/lang zh`` or ``/lang en``, or the two languages to pick from."""
    choice = (command.args[0] if command.args else "").lower()
    if choice in _ZH:
        set_language(turn.user, "zh_CN")
    elif choice in _EN:
        set_language(turn.user, "en")
    else:
        languages = ((Choice(Text.raw("中文"), "lang:zh_CN"), Choice(Text.raw("English"), "lang:en")),)
        return Reply(messages=[Message((text("Choose your language:"),), languages)])
    return Reply.say(Text(LANGUAGE_SET))  # rendered in the language just chosen


async def pick_language(turn: Turn, token: str) -> Reply:
    """Apply the language picked from the /lang choices."""
    locale = token.removeprefix("lang:")
    if locale not in ("zh_CN", "en"):
        return Reply(alert=Text(STALE))
    set_language(turn.user, locale)
    return Reply(edit=Edit((Text(LANGUAGE_SET),)))


def unknown_command(command: Command) -> Reply:
    """A command nobody handles."""
    return Reply.say(text("I don't know the command {command}. Send /help for the list.", command=command.typed[:40]))


def stale_choice() -> Reply:
    """A choice nobody offers (an old message, forged data)."""
    return Reply(alert=Text(STALE))


def apology() -> Reply:
    """Something failed on our side: what the person sent is kept; they may try again."""
    return Reply.say(text("Sorry, something went wrong on our side. What you sent is kept; please try again."))
