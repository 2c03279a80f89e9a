"""The web chat's own labels (the chat content is the bot's): translated here, so the page has one catalog."""

from __future__ import annotations

from services.i18n import N_, Translator

UI_TEXT: dict[str, str] = {
    "title": N_("citybot playground"),
    "subtitle": N_("Offline demo: the real bot on a local Telegram and WeChat"),
    "people": N_("People"),
    "role_citizen": N_("Citizen"),
    "role_volunteer": N_("Volunteer"),
    "role_officer": N_("Grid officer"),
    "role_supervisor": N_("Duty supervisor"),
    "role_channel": N_("Broadcast channel"),
    "clock": N_("Demo clock"),
    "plus_hour": N_("+1 hour"),
    "plus_day": N_("+1 day"),
    "next_monday": N_("Next Monday 09:00"),
    "clock_done": N_("Deadlines checked, weekly summary checked, outbox sent"),
    "placeholder": N_("Write a message…"),
    "send": N_("Send"),
    "photo": N_("Photo"),
    "location": N_("Location"),
    "map": N_("Grid map"),
    "map_hint": N_("Hover to see the grid unit; click to share that spot"),
    "share_here": N_("Share this location"),
    "cancel": N_("Cancel"),
    "samples": N_("Sample photos"),
    "samples_hint": N_("Pick one photo, or several for an album"),
    "upload": N_("Upload from this computer"),
    "send_selected": N_("Send"),
    "as_file": N_("Send as file (keeps the photo's GPS)"),
    "caption": N_("Caption (optional)"),
    "channel_only": N_("Only the bot posts in this channel."),
    "empty": N_("No messages yet. Send /start to begin."),
    "edited": N_("edited"),
    "open_cases": N_("open cases on the map"),
    "language": N_("Telegram language of this person"),
    "subscribers": N_("subscribers"),
    "outside": N_("outside every grid"),
    "pick_on_map": N_("Click the map to choose the spot"),
    "unit_officers": N_("Covers: {units}"),
    "role_wechat": N_("Citizen on WeChat"),
    "wx_menu_report": N_("📷 Report"),
    "wx_menu_my": N_("My reports"),
    "wx_menu_help": N_("Help"),
    "wx_hint": N_("WeChat Official Account: reply with a number, or tap an option"),
    "guide": N_("Try the whole loop"),
    "guide_1": N_("Citizen: send a sample photo, pick the category, share the spot on the map, submit."),
    "guide_2": N_("Grid officer: accept the case, mark it resolved and send the after-photo."),
    "guide_3": N_("Citizen: confirm that it is fixed."),
    "guide_4": N_("Clock: jump to Monday 09:00; the channel receives the weekly summary with its chart."),
    "guide_5": N_("WeChat: 刘阿姨 reports from the city's Official Account; the Telegram officer gets the case."),
}


def ui_strings(locale: str) -> dict[str, str]:
    """Every label of the page in ``locale``."""
    t = Translator(locale)
    return {key: t(message) for key, message in UI_TEXT.items()}
