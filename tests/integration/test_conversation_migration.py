"""Migration 0007 on both databases: drafts in progress survive without their chat column, ids stay unique."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select, text

from models.cases import AlbumReply, Photo, ReportDraft
from models.db import Database
from models.migrate import upgrade
from models.uow import UnitOfWork

NOW = datetime(2026, 11, 16, 2, 0, tzinfo=UTC)


async def test_a_draft_in_progress_survives_and_no_draft_id_comes_back(db_url: tuple[str, dict[str, Any]]) -> None:
    url, connect_args = db_url
    await upgrade(url, "0001", connect_args=connect_args)
    db = Database(url, connect_args=connect_args)
    try:
        async with db.engine.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO users (id, telegram_id, first_name, role, banned, blocked_bot, leaderboard_opt_in,"
                    " created_at) VALUES (1, 501, 'Anna', 'citizen', false, false, false, :now),"
                    " (2, 502, 'Bob', 'citizen', false, false, false, :now)"
                ),
                {"now": NOW},
            )
            ids = []
            for user_id in (1, 2):
                inserted = await conn.execute(
                    text(
                        "INSERT INTO report_drafts (user_id, chat_id, step, category, media_group_id, created_at,"
                        " updated_at) VALUES (:user, :chat, 'location', '0201', 'album-9', :now, :now)"
                        " RETURNING id"
                    ),
                    {"user": user_id, "chat": 500 + user_id, "now": NOW},
                )
                ids.append(inserted.scalar_one())
            await conn.execute(
                text(
                    "INSERT INTO photos (draft_id, kind, file_id, file_unique_id, created_at)"
                    " VALUES (:draft, 'report', 'tg-file', 'tg-unique', :now)"
                ),
                {"draft": ids[0], "now": NOW},
            )
            await conn.execute(text("DELETE FROM report_drafts WHERE id = :id"), {"id": ids[1]})  # Bob submitted
        await db.dispose()
        await upgrade(url, "0007", connect_args=connect_args)
        db = Database(url, connect_args=connect_args)
        async with UnitOfWork(db) as uow:
            [kept] = list(await uow.session.scalars(select(ReportDraft)))
            photos = list(await uow.session.scalars(select(Photo.file_id).where(Photo.draft_id == kept.id)))
            assert (kept.id, kept.user_id, kept.category, photos) == (ids[0], 1, "0201", ["tg-file"])
            fresh = ReportDraft(user_id=2, step="photos", created_at=NOW, updated_at=NOW)
            uow.session.add(fresh)
            uow.session.add(AlbumReply(user_id=2, album_id="album-9", reply_at=NOW, created_at=NOW))
            await uow.commit()
        # Bob's old buttons name his submitted draft: his new draft must not take its id.
        assert fresh.id > ids[1]
        async with UnitOfWork(db) as uow:
            assert await uow.session.scalar(select(func.count()).select_from(AlbumReply)) == 1
    finally:
        await db.dispose()
