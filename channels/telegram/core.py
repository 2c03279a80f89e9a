"""/start, /help, /lang, unknown commands, stale buttons and the error handler."""

from __future__ import annotations

import html
import logging

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from channels.telegram.common import GROUP_COMMANDS, commands_for, services, turn
from models.uow import UnitOfWork
from services.i18n import Translator
from services.users import identity_locale, set_language, user_by_telegram_id

log = logging.getLogger(__name__)

#: Deep-link payload handlers: ``/start <prefix>_<rest>`` → coroutine(update, context, rest).
START_PAYLOADS: dict[str, object] = {}


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Greet the user in their language, or follow a deep link such as ``join_<token>``."""
    payload = context.args[0] if context.args else ""
    prefix, _, rest = payload.partition("_")
    follow = START_PAYLOADS.get(prefix)
    if follow is not None and rest:
        await follow(update, context, rest)  # type: ignore[operator]
        return
    async with turn(update, context) as tn:
        text = tn.t(
            "Hello {name}! I am the city's street-care assistant. Send me a photo and the location of a "
            "problem — illegal posters, litter, bad parking — and I will pass it to the grid officers in "
            "charge and tell you when it is fixed.",
            name=tn.user.first_name or "",
        )
        text += "\n\n" + tn.t("Send /help to see what I can do.")
    await update.effective_message.reply_text(text)  # type: ignore[union-attr]


async def help_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """List the commands that exist for this user's role."""
    async with turn(update, context) as tn:
        lines = [tn.t("Commands:")]
        lines += [f"/{c.name} — {html.escape(tn.t(c.description))}" for c in commands_for(tn.user.role)]
    await update.effective_message.reply_text("\n".join(lines), parse_mode=ParseMode.HTML)  # type: ignore[union-attr]


async def lang(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Switch language: ``/lang zh`` or ``/lang en``, or pick from buttons."""
    choice = (context.args[0] if context.args else "").lower()
    async with turn(update, context) as tn:
        if choice in ("zh", "zh_cn", "zh-cn", "cn", "中文"):
            set_language(tn.user, "zh_CN")
        elif choice in ("en", "english"):
            set_language(tn.user, "en")
        else:
            keyboard = InlineKeyboardMarkup(
                [
                    [
                        InlineKeyboardButton("中文", callback_data="lang:zh_CN"),
                        InlineKeyboardButton("English", callback_data="lang:en"),
                    ]
                ]
            )
            await update.effective_message.reply_text(  # type: ignore[union-attr]
                tn.t("Choose your language:"), reply_markup=keyboard
            )
            return
        t = Translator(tn.user.locale)
    await update.effective_message.reply_text(t("Language set to English."))  # type: ignore[union-attr]


async def lang_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Apply the language picked from the /lang buttons."""
    query = update.callback_query
    assert query is not None
    locale = (query.data or "").removeprefix("lang:")
    async with turn(update, context) as tn:
        if locale not in ("zh_CN", "en"):
            await query.answer(tn.t("This button is no longer valid."), show_alert=True)
            return
        set_language(tn.user, locale)
        t = Translator(locale)
    await query.answer()
    await query.edit_message_text(t("Language set to English."))


async def unknown_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer a command nobody handles."""
    message = update.effective_message
    assert message is not None
    async with turn(update, context) as tn:
        name = (message.text or "").split()[0][:40]
        text = tn.t("I don't know the command {command}. Send /help for the list.", command=name)
    await message.reply_text(text)


async def stale_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer a button press nobody handles (old keyboards, forged data)."""
    query = update.callback_query
    assert query is not None
    async with turn(update, context) as tn:
        text = tn.t("This button is no longer valid.")
    await query.answer(text, show_alert=True)


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log the error and tell the user politely; never show a traceback."""
    log.error("error while handling an update", exc_info=context.error)
    if not isinstance(update, Update) or update.effective_user is None:
        return
    locale = identity_locale(update.effective_user.language_code)
    try:
        async with UnitOfWork(services(context).db) as uow:
            user = await user_by_telegram_id(uow.session, update.effective_user.id)
            if user is not None:
                locale = user.locale
    except Exception:  # the database itself may be what failed
        log.warning("could not read the user's language for the error reply", exc_info=True)
    t = Translator(locale)
    text = t("Sorry, something went wrong on our side. What you sent is kept; please try again.")
    try:
        if update.callback_query is not None:
            await update.callback_query.answer(text, show_alert=True)
        elif update.effective_chat is not None:
            await context.bot.send_message(update.effective_chat.id, text)
    except Exception:
        log.warning("could not deliver the error reply", exc_info=True)


def register(app: Application) -> None:  # type: ignore[type-arg]
    """Add the core commands."""
    app.add_handler(CommandHandler("start", start), GROUP_COMMANDS)
    app.add_handler(CommandHandler("help", help_command), GROUP_COMMANDS)
    app.add_handler(CommandHandler("lang", lang), GROUP_COMMANDS)
    app.add_handler(CallbackQueryHandler(lang_button, pattern=r"^lang:"), GROUP_COMMANDS)


def register_fallbacks(app: Application) -> None:  # type: ignore[type-arg]
    """Add the catch-alls; must come after every feature's handlers of the same group."""
    app.add_handler(MessageHandler(filters.COMMAND, unknown_command), GROUP_COMMANDS)
    app.add_handler(CallbackQueryHandler(stale_button), GROUP_COMMANDS)
    app.add_error_handler(on_error)
