"""Questions the bot asks about a case and waits for: a return or reject reason, the after-photos, a note.

One open question per user is kept in the database (``PendingInput``), so the answer may come in a later update
or to another process. Officer and supervisor actions ask; the adapter reads the question to know what a text or a
photo answers.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import datetime

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from models.cases import PendingInput
from models.identities import UserIdentity
from models.uow import UnitOfWork
from models.users import User
from services.context import Services

# Questions the bot asks and waits for (PendingInput.kind).
ASK_RESOLVE_PHOTO = "resolve_photo"
ASK_RESOLVE_NOTE = "resolve_note"
ASK_RETURN_REASON = "return_reason"
ASK_REJECT_REASON = "reject_reason"


@dataclass(frozen=True)
class ProofPhoto:
    """An after-photo as the chat platform describes it."""

    file_id: str
    file_unique_id: str = ""
    width: int | None = None
    height: int | None = None
    file_size: int | None = None
    #: The channel whose file id ``file_id`` is (None: not reusable as a picture there; the kept copy is sent).
    channel: str | None = None
    #: The copy kept on disk (an image sent as a file: staff and the reporter are shown it, re-encoded).
    local_path: str | None = None


async def ask(session: AsyncSession, user: User, kind: str, case_id: int, now: datetime, **data: object) -> None:
    """Remember that the bot asked ``user`` a question about ``case_id`` (replacing any earlier question)."""
    pending = await session.get(PendingInput, user.id)
    if pending is None:
        pending = PendingInput(user_id=user.id, kind=kind, case_id=case_id, created_at=now)
        session.add(pending)
    pending.kind, pending.case_id, pending.created_at = kind, case_id, now
    pending.data = json.dumps(data, ensure_ascii=False)
    await session.flush()


async def pending_input(session: AsyncSession, user: User) -> PendingInput | None:
    """The question ``user`` still has to answer, if any."""
    return await session.get(PendingInput, user.id)


async def awaits_after_photo(services: Services, channel: str, external_id: str) -> bool:
    """Whether the person (not banned) was asked for an after-photo, so a photo they send now is one.

    Read before the turn: the photo's bytes are then fetched outside its transaction, and a copy is kept.
    """
    async with UnitOfWork(services.db) as uow:
        kind = await uow.session.scalar(_ASKED_KIND, {"channel": channel, "external_id": str(external_id)})
    return kind in (ASK_RESOLVE_PHOTO, ASK_RESOLVE_NOTE)


#: The kind of question an account's person (not banned) has open: one statement, built once (every photo asks).
_ASKED_KIND = (
    select(PendingInput.kind)
    .join(User, User.id == PendingInput.user_id)
    .join(UserIdentity, UserIdentity.user_id == User.id)
    .where(
        UserIdentity.channel == bindparam("channel"),
        UserIdentity.external_id == bindparam("external_id"),
        User.banned.is_(False),
    )
)


async def forget_input(session: AsyncSession, user: User) -> None:
    """Drop ``user``'s open question."""
    pending = await session.get(PendingInput, user.id)
    if pending is not None:
        await session.delete(pending)
        await session.flush()


def staged_photos(pending: PendingInput) -> list[ProofPhoto]:
    """After-photos already sent in answer to the resolve question."""
    return [ProofPhoto(**item) for item in json.loads(pending.data or "{}").get("photos", [])]


async def stage_proof_photo(
    session: AsyncSession,
    user: User,
    pending: PendingInput,
    photo: ProofPhoto,
    *,
    group: str | None = None,
    note: str | None = None,
) -> bool:
    """Keep an after-photo (and its caption) and move on to the optional note.

    Returns whether the photo starts a new message or album, i.e. whether the user should be answered: the
    other photos of an album arrive as separate messages and need no answer each.
    """
    data = json.loads(pending.data or "{}")
    photos = [*data.get("photos", []), asdict(photo)][:10]
    new_message = group is None or data.get("group") != group
    data.update(photos=photos, group=group)
    if note:
        data["note"] = note
    pending.kind = ASK_RESOLVE_NOTE
    pending.data = json.dumps(data, ensure_ascii=False)
    await session.flush()
    return new_message


def staged_note(pending: PendingInput) -> str | None:
    """A caption sent with the after-photos, used as the note unless the officer types another."""
    return json.loads(pending.data or "{}").get("note") or None
