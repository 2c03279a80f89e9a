"""Drafts nobody touched for ``draft_ttl_minutes`` expire, and their owner is told through the outbox.

The same sweep forgets albums received more than ``ALBUM_MEMORY`` ago: their photos have all arrived long since.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from models.cases import AlbumReply, Photo, ReportDraft
from models.users import User
from services.context import Services
from services.messages import Message, text
from services.outbox import enqueue_for

KIND_EXPIRED = "draft_expired"
BATCH = 200
ALBUM_MEMORY = timedelta(hours=1)


@dataclass
class Expired:
    """What one sweep did: drafts removed and photo copies to delete once the transaction is committed."""

    count: int = 0
    paths: list[str] = field(default_factory=list)


async def expire_drafts(services: Services, session: AsyncSession) -> Expired:
    """Remove drafts idle for longer than the configured time and queue a notice to each owner."""
    now = services.clock.now()
    cutoff = now - timedelta(minutes=services.config.reporting.draft_ttl_minutes)
    query = (
        select(ReportDraft, User)
        .join(User, User.id == ReportDraft.user_id)
        .where(ReportDraft.updated_at < cutoff)
        .order_by(ReportDraft.updated_at)
        .limit(BATCH)
    )
    result = Expired()
    await session.execute(
        delete(AlbumReply)
        .where(AlbumReply.created_at < now - ALBUM_MEMORY)
        .execution_options(synchronize_session=False)
    )
    for draft, user in (await session.execute(query)).all():
        # The guarded delete makes two sweeps (or a sweep racing the user's own input) expire a draft once.
        gone = await session.execute(
            delete(ReportDraft)
            .where(ReportDraft.id == draft.id, ReportDraft.updated_at < cutoff)
            .execution_options(synchronize_session=False)
        )
        if gone.rowcount != 1:  # type: ignore[attr-defined]
            continue
        result.paths += [p.local_path for p in draft.photos if p.local_path]
        await session.execute(
            delete(Photo).where(Photo.id.in_([p.id for p in draft.photos])).execution_options(synchronize_session=False)
        )
        for photo in draft.photos:
            session.expunge(photo)
        session.expunge(draft)
        result.count += 1
        expired = text(
            "Your unfinished report expired after {minutes} minutes without activity, so nothing was sent. "
            "Send a photo or /report to start again.",
            minutes=services.config.reporting.draft_ttl_minutes,
        )
        await enqueue_for(
            session,
            user,
            Message(lines=(expired,), end_location=True),
            kind=KIND_EXPIRED,
            now=now,
            dedupe_key=f"draft-expired:{draft.id}",
        )
    return result
