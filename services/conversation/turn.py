"""One event's turn: its unit of work's session, the person, and what the turn read about their report."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from models.users import User
from services.cases import CaseActionError
from services.context import Services
from services.conversation.events import Sender
from services.conversation.replies import shown
from services.i18n import N_, Translator
from services.intake import DraftState, load_state
from services.intake_limits import IntakeRefused
from services.messages import Ref, Text, msg, render_line, status

STALE = N_("This button is no longer valid.")


@dataclass
class Turn:
    """The services, the session of this turn's unit of work, the person and where they wrote."""

    services: Services
    session: AsyncSession
    user: User
    sender: Sender
    #: Photo copies on disk to delete once the turn is committed (a cancelled or expired draft's).
    discard: list[str] = field(default_factory=list)
    _state: DraftState | None = None

    @property
    def now(self) -> datetime:
        """The injected clock's time."""
        return self.services.clock.now()

    async def state(self, *, limit: bool = False) -> DraftState:
        """The person's draft and open question (and the hourly limit if ``limit``), read once per turn."""
        if self._state is None or (limit and not self._state.limit_read):
            self._state = await load_state(self.services, self.session, self.user.id, limit=limit)
        return self._state

    @property
    def t(self) -> Translator:
        """The person's translator, for lines composed of several translated parts (read-outs such as /tasks)."""
        return Translator(self.user.locale)

    def render(self, line: Text) -> str:
        """``line`` in the person's language now (a part of a composed line)."""
        return render_line(self.services, line, self.t)

    def show(self, value: Ref) -> str:
        """``value`` in the person's words now (a category's name, a time in the city's zone)."""
        return self.render(shown(value))

    def forget_state(self) -> None:
        """The draft or question changed in ways the cached state does not show (deleted, created)."""
        self._state = None


def refusal(err: IntakeRefused) -> Text:
    """An intake refusal as a line for the reader."""
    return Text(err.message, err.values)


def case_refusal(err: CaseActionError) -> Text:
    """A refused case action as a line: its status and action values are looked up in the reader's words."""
    values: dict[str, object] = dict(err.values)
    if "status" in values:
        values["status"] = status(str(values["status"]))
    if "action" in values:
        values["action"] = msg(str(values["action"]))
    return Text(err.message, values)
