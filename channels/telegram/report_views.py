"""How the report flow looks in Telegram: prompts, keyboards, the summary and the outcome, in the user's language."""

from __future__ import annotations

from collections.abc import Sequence

from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)

from models.cases import DraftStep, ReportDraft
from services.context import Services
from services.i18n import Translator
from services.intake import next_step
from services.intake_submit import Outcome, Submitted
from services.notify import category_label, local_time

Markup = InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove
Reply = tuple[str, Markup | None]


def place_text(lat: float | None, lon: float | None, address: str | None) -> str:
    """An address with its coordinates, or the coordinates alone."""
    if lat is None or lon is None:
        return "—"
    coordinates = f"{lat:.5f}, {lon:.5f}"
    return f"{address} ({coordinates})" if address else coordinates


def category_keyboard(services: Services, draft_id: int, t: Translator) -> InlineKeyboardMarkup:
    """The configured catalog as buttons, two per row."""
    buttons = [
        InlineKeyboardButton(c.label(t.locale), callback_data=f"draft:cat:{draft_id}:{c.code}")
        for c in services.config.categories
    ]
    return InlineKeyboardMarkup([buttons[i : i + 2] for i in range(0, len(buttons), 2)])


def location_keyboard(t: Translator) -> ReplyKeyboardMarkup:
    """A reply keyboard whose button shares the phone's location."""
    button = KeyboardButton(t("📍 Send my location"), request_location=True)
    return ReplyKeyboardMarkup([[button]], resize_keyboard=True, one_time_keyboard=True)


def summary_text(services: Services, draft: ReportDraft, t: Translator) -> str:
    """What will be sent, for the citizen to check."""
    lines = [
        t("Please check your report:"),
        t("Category: {category}", category=category_label(services, draft.category or "", t)),
        t("Place: {place}", place=place_text(draft.lat, draft.lon, draft.address)),
        t("Photos: {count}", count=len(draft.photos)),
        t("Note: {note}", note=draft.note or t("(none)")),
    ]
    return "\n".join(lines)


def prompt(services: Services, draft: ReportDraft, t: Translator) -> list[Reply]:
    """The question for the draft's current step, with its keyboard."""
    step = next_step(draft)
    limits = services.config.reporting
    if step is DraftStep.PHOTOS:
        text = t("Send 1 to {max} photos of the problem: as photos, an album or image files.", max=limits.max_photos)
        return [(text, None)]
    if step is DraftStep.CATEGORY:
        return [(t("What kind of problem is it?"), category_keyboard(services, draft.id, t))]
    if step is DraftStep.LOCATION:
        replies: list[Reply] = [
            (
                t("Where is it? Tap «📍 Send my location» below, share a place, or type an address."),
                location_keyboard(t),
            )
        ]
        if draft.exif_lat is not None and draft.exif_lon is not None:
            use = InlineKeyboardButton(t("Use the photo's location"), callback_data=f"draft:exif:{draft.id}")
            offer = t(
                "Your photo carries a location: {place}. Use it?",
                place=place_text(draft.exif_lat, draft.exif_lon, None),
            )
            replies.append((offer, InlineKeyboardMarkup([[use]])))
        return replies
    if step is DraftStep.NOTE:
        skip = InlineKeyboardButton(t("Skip"), callback_data=f"draft:skip:{draft.id}")
        text = t(
            "Add a short note for the officer (at most {limit} characters), or tap Skip.",
            limit=limits.note_max_chars,
        )
        return [(text, InlineKeyboardMarkup([[skip]]))]
    buttons = [
        InlineKeyboardButton(t("✅ Submit"), callback_data=f"draft:submit:{draft.id}"),
        InlineKeyboardButton(t("✖ Cancel"), callback_data=f"draft:cancel:{draft.id}"),
    ]
    return [(summary_text(services, draft, t), InlineKeyboardMarkup([buttons]))]


def submitted_text(services: Services, result: Submitted, t: Translator) -> str:
    """What became of the report, in one message."""
    number = result.case.number
    if result.outcome is Outcome.DUPLICATE and result.parent is not None:
        return t(
            "This problem was already reported as {parent}. Your report {number} is linked to it, "
            "and you will receive the updates of {parent}.",
            parent=result.parent.number,
            number=number,
        )
    if result.outcome is Outcome.DISPATCHED:
        text = t(
            "✅ Report {number} received and sent to {unit}. It should be handled by {deadline}.",
            number=number,
            unit=result.unit_name or "—",
            deadline=local_time(services, result.due_at),
        )
    else:
        text = t(
            "✅ Report {number} received. No grid unit covers this place, so a dispatcher will assign it.",
            number=number,
        )
    return text + "\n" + t("I will tell you when its status changes. /my lists your reports.")


async def send_replies(
    bot: Bot,
    chat_id: int,
    replies: Sequence[Reply],
    *,
    lead: str | None = None,
    remove_keyboard: bool = False,
) -> None:
    """Send ``replies``; ``lead`` goes in front of the first one, ``remove_keyboard`` hides a reply keyboard."""
    pending = list(replies)
    if lead and pending and not (remove_keyboard and pending[0][1] is not None):
        text, markup = pending[0]
        pending[0] = (f"{lead}\n\n{text}", markup or (ReplyKeyboardRemove() if remove_keyboard else None))
    elif lead:
        await bot.send_message(chat_id, lead, reply_markup=ReplyKeyboardRemove() if remove_keyboard else None)
    elif remove_keyboard and pending and pending[0][1] is None:
        pending[0] = (pending[0][0], ReplyKeyboardRemove())
    for text, markup in pending:
        await bot.send_message(chat_id, text, reply_markup=markup)
