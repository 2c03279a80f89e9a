"""Albums: photos sent together arrive one by one, sharing an album id, with no count and no end marker.

Each album gets one answer, ``album_wait_seconds`` after its first photo. The waiting is the adapter's (a timer
that calls back); what has been answered is a row (``AlbumReply``), so every process serving the person agrees:
the first photo adds the row with the time the answer is due, whichever process claims the row at that time
answers, and a photo that arrives after the answer finds it given and stays quiet.
"""

from __future__ import annotations

import enum
from datetime import timedelta

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from models.cases import AlbumReply
from services.conversation.turn import Turn

ALBUM_ID_MAX = 64


class Arrival(enum.Enum):
    FIRST = "first"  # this photo opened the album: it may carry the album's one refusal
    WAITING = "waiting"  # the album's answer is still due
    ANSWERED = "answered"  # the answer was given; this photo came late


async def arrived(turn: Turn, album: str) -> tuple[Arrival, float | None]:
    """Note a photo of ``album``; returns where the album stands and in how many seconds its answer is due."""
    key = (turn.user.id, album[:ALBUM_ID_MAX])
    wait = turn.services.config.reporting.album_wait_seconds
    row = await turn.session.get(AlbumReply, key)
    if row is None:
        now = turn.now
        row = AlbumReply(user_id=key[0], album_id=key[1], reply_at=now + timedelta(seconds=wait), created_at=now)
        try:
            async with turn.session.begin_nested():  # the album's photos may race in two processes
                turn.session.add(row)
                await turn.session.flush()
        except IntegrityError:
            found = await turn.session.get(AlbumReply, key, populate_existing=True)
            if found is None:
                raise
            row = found
        else:
            return Arrival.FIRST, wait
    if row.reply_at is None:
        return Arrival.ANSWERED, None
    due_in = (row.reply_at - turn.now).total_seconds()
    return Arrival.WAITING, min(max(due_in, 0.0), wait)


async def claim(turn: Turn, album: str) -> bool:
    """Take the album's answer on; False when it was given already (or the album is unknown)."""
    done = await turn.session.execute(
        update(AlbumReply)
        .where(
            AlbumReply.user_id == turn.user.id,
            AlbumReply.album_id == album[:ALBUM_ID_MAX],
            AlbumReply.reply_at.is_not(None),
        )
        .values(reply_at=None)
        .execution_options(synchronize_session=False)
    )
    return bool(done.rowcount == 1)  # type: ignore[attr-defined]
