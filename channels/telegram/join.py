"""Self-onboarding: ``/start join_<token>`` binds the person who opens an invite link to its unit."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, ContextTypes

from channels.telegram.common import turn
from channels.telegram.core import START_PAYLOADS
from models.grid import BindingRole
from services.i18n import N_
from services.officers import InviteError, redeem_invite

_REFUSALS = {
    "unknown": N_("This invite link is not valid. Ask your supervisor for a new one."),
    "used": N_("This invite link has already been used. Ask your supervisor for a new one."),
    "expired": N_("This invite link has expired. Ask your supervisor for a new one."),
}


async def join(update: Update, context: ContextTypes.DEFAULT_TYPE, token: str) -> None:
    """Redeem the invite ``token`` for the sender and confirm the unit they now answer for."""
    async with turn(update, context) as tn:
        try:
            invite, unit = await redeem_invite(tn.session, token[:64], tn.user, tn.services.clock.now())
        except InviteError as exc:
            text = tn.t(_REFUSALS[exc.reason])
        else:
            if invite.role == BindingRole.SUPERVISOR:
                text = tn.t("You are now a supervisor of {unit}: you cover every unit below it.", unit=unit.name)
            else:
                text = tn.t(
                    "You are now the grid officer of {unit}. New cases there will come to you here.", unit=unit.name
                )
            text += "\n\n" + tn.t("Send /help to see what I can do.")
    await update.effective_message.reply_text(text)  # type: ignore[union-attr]


def register(app: Application) -> None:  # type: ignore[type-arg]
    """Follow ``join_`` deep links from /start."""
    START_PAYLOADS["join"] = join
