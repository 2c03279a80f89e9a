"""The commands /help shows, to the roles that may use them (channels may publish them as a menu)."""

from __future__ import annotations

from dataclasses import dataclass

from models.users import Role
from services.i18n import N_


@dataclass(frozen=True)
class CommandInfo:
    """A command shown by /help to the roles that may use it."""

    name: str
    description: str  # a message id, translated when shown
    roles: frozenset[Role]


EVERYONE = frozenset(Role)
OFFICERS = frozenset({Role.OFFICER, Role.SUPERVISOR, Role.ADMIN})
SUPERVISORS = frozenset({Role.SUPERVISOR, Role.ADMIN})

COMMANDS: tuple[CommandInfo, ...] = (
    CommandInfo("start", N_("Start the bot"), EVERYONE),
    CommandInfo("help", N_("What I can do for you"), EVERYONE),
    CommandInfo("lang", N_("Switch language: 中文 / English"), EVERYONE),
    CommandInfo("subscribe", N_("Get the weekly report for the city or your area"), EVERYONE),
    CommandInfo("unsubscribe", N_("Stop the weekly report"), EVERYONE),
    CommandInfo("leaderboard", N_("Join or leave the volunteer leaderboard: on / off"), EVERYONE),
    CommandInfo("report", N_("Report a problem: photo, category, place"), EVERYONE),
    CommandInfo("cancel", N_("Stop what you are doing (nothing is sent)"), EVERYONE),
    CommandInfo("my", N_("My reports and what became of them"), EVERYONE),
    CommandInfo("tasks", N_("Your open cases, earliest deadline first"), OFFICERS),
    CommandInfo("case", N_("A case with its history: /case <number>"), OFFICERS),
    CommandInfo("queue", N_("Returned and unrouted cases waiting for you"), SUPERVISORS),
    CommandInfo("assign", N_("Dispatch a case to a unit: /assign <number> <unit>"), SUPERVISORS),
    CommandInfo("extend", N_("Extend a deadline (延期): /extend <number> 4h"), SUPERVISORS),
    CommandInfo("suspend", N_("Suspend a case (挂账): /suspend <number> <reason>"), SUPERVISORS),
    CommandInfo("resume", N_("Resume a suspended case: /resume <number>"), SUPERVISORS),
    CommandInfo("close", N_("Close a case for its handler: /close <number> <note>"), SUPERVISORS),
    CommandInfo("reject", N_("Reject a returned or unrouted case: /reject <number> <reason>"), SUPERVISORS),
)


def commands_for(role: Role) -> list[CommandInfo]:
    """The commands a user with ``role`` may use, in the order /help lists them."""
    return [c for c in COMMANDS if role in c.roles]
