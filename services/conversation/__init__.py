"""The conversation service: the report flow, the questions the bot asks, case actions and subscriptions.

Channel adapters call ``Conversation.handle(sender, event)`` with plain events (``events``) and render the
``Reply`` (``replies``) it returns; choices carry action tokens (``tokens``) the service parses and re-authorises.
"""

from services.conversation.commands import COMMANDS, CommandInfo, commands_for
from services.conversation.events import (
    ChannelFile,
    Command,
    Edited,
    Event,
    Fetch,
    Location,
    Photo,
    Picked,
    Sender,
    Typed,
    Unsupported,
)
from services.conversation.replies import Edit, Later, Reply
from services.conversation.service import Conversation

__all__ = [
    "COMMANDS",
    "ChannelFile",
    "Command",
    "CommandInfo",
    "Conversation",
    "Edit",
    "Edited",
    "Event",
    "Fetch",
    "Later",
    "Location",
    "Photo",
    "Picked",
    "Reply",
    "Sender",
    "Typed",
    "Unsupported",
    "commands_for",
]
