"""Drafts nobody touched for ``draft_ttl_minutes`` expire, and their owner is told through the outbox.

The same sweep forgets albums received more than ``ALBUM_MEMORY`` ago: their photos have all arrived long since.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from models.cases import AlbumReply, ReportDraft
from models.users import User
from services.context import Services
from services.intake import discard_draft
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
        paths = await discard_draft(session, draft, idle_before=cutoff)
        if paths is None:
            continue
        result.paths += paths
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
