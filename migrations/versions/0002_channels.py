"""channels: identities per channel, channel-neutral outbox, subscriptions by address

Revision ID: 0002
Revises: 0001

A person's Telegram id moves from ``users.telegram_id`` to an ``identities`` row (channel "telegram"), and
``users.contact_*`` says where their notices go. Outbox rows stop being Bot API calls: pending rows are converted
to the channel-neutral message format (texts already rendered become raw lines, inline buttons become choices
with their callback data as action tokens, photos become references to the stored photo rows), so nothing queued
before the upgrade is lost. Subscriptions and drafts lose ``chat_id`` for (channel, address).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

import models.base

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CHANNEL = "telegram"


def upgrade() -> None:
    op.create_table(
        "identities",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("external_id", sa.String(length=64), nullable=False),
        sa.Column("display_name", sa.String(length=128), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=True),
        sa.Column("language", sa.String(length=16), nullable=True),
        sa.Column("blocked", sa.Boolean(), nullable=False),
        sa.Column("created_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", models.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_identities_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identities")),
        sa.UniqueConstraint("channel", "external_id", name="uq_identities_channel_external"),
    )
    op.create_index(op.f("ix_identities_user_id"), "identities", ["user_id"], unique=False)
    op.execute(
        "INSERT INTO identities (user_id, channel, external_id, display_name, username, language, blocked, "
        "created_at, last_seen_at) SELECT id, 'telegram', CAST(telegram_id AS VARCHAR(64)), first_name, username, "
        "telegram_language, blocked_bot, created_at, last_seen_at FROM users"
    )

    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("contact_channel", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("contact_address", sa.String(length=64), nullable=True))
        batch.alter_column("telegram_language", new_column_name="channel_language")
    op.execute(
        "UPDATE users SET contact_channel = 'telegram', contact_address = CAST(telegram_id AS VARCHAR(64)) "
        "WHERE NOT blocked_bot"
    )
    with op.batch_alter_table("users") as batch:
        batch.drop_constraint("uq_users_telegram_id", type_="unique")
        batch.drop_column("telegram_id")
        batch.drop_column("username")
        batch.drop_column("blocked_bot")

    with op.batch_alter_table("photos") as batch:
        batch.add_column(sa.Column("channel", sa.String(length=16), nullable=True))
    op.execute("UPDATE photos SET channel = 'telegram'")

    # A plain DROP COLUMN (SQLite >= 3.35), not a rebuild: a rebuilt table's AUTOINCREMENT starts again after
    # the highest id still there, and a new draft could take a finished one's id (its old buttons would act on it).
    op.drop_column("report_drafts", "chat_id")

    with op.batch_alter_table("subscriptions") as batch:
        batch.add_column(sa.Column("channel", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("address", sa.String(length=64), nullable=True))
    op.execute("UPDATE subscriptions SET channel = 'telegram', address = CAST(chat_id AS VARCHAR(64))")
    with op.batch_alter_table("subscriptions") as batch:
        batch.drop_constraint("uq_subscription_chat", type_="unique")
        batch.drop_column("chat_id")
        batch.alter_column("channel", existing_type=sa.String(length=16), nullable=False)
        batch.alter_column("address", existing_type=sa.String(length=64), nullable=False)
        batch.create_unique_constraint("uq_subscription_address", ["channel", "address"])

    _convert_outbox()


def _convert_outbox() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("channel", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("address", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("payload", sa.Text(), nullable=True))
        batch.add_column(sa.Column("delivered_ids", sa.String(length=200), nullable=True))
    bind = op.get_bind()
    photo_ids = {file_id: pid for pid, file_id in bind.execute(sa.text("SELECT id, file_id FROM photos"))}
    rows = bind.execute(
        sa.text("SELECT id, chat_id, method, params, status, telegram_message_id, telegram_message_ids FROM outbox")
    ).all()
    update = sa.text(
        "UPDATE outbox SET channel = :channel, address = :address, payload = :payload, "
        "delivered_ids = :delivered, status = :status, last_error = COALESCE(:error, last_error) WHERE id = :id"
    )
    for row_id, chat_id, method, params, status, message_id, message_ids in rows:
        payload, error = _message_of(method, json.loads(params or "{}"), photo_ids)
        delivered = message_ids or (str(message_id) if message_id is not None else None)
        new_status = "failed" if error is not None and status == "pending" else status
        bind.execute(
            update,
            {
                "channel": CHANNEL,
                "address": str(chat_id),
                "payload": json.dumps(payload, ensure_ascii=False, separators=(",", ":")),
                "delivered": delivered,
                "status": new_status,
                "error": error,
                "id": row_id,
            },
        )
    with op.batch_alter_table("outbox") as batch:
        batch.drop_index("ix_outbox_chat")
        batch.drop_column("chat_id")
        batch.drop_column("method")
        batch.drop_column("params")
        batch.drop_column("telegram_message_id")
        batch.drop_column("telegram_message_ids")
        batch.alter_column("channel", existing_type=sa.String(length=16), nullable=False)
        batch.alter_column("address", existing_type=sa.String(length=64), nullable=False)
        batch.alter_column("payload", existing_type=sa.Text(), nullable=False)
        batch.create_index("ix_outbox_address", ["channel", "address", "status"], unique=False)


def _photo(value: Any, photo_ids: dict[str, int]) -> dict[str, Any] | None:
    if isinstance(value, dict) and "path" in value:
        return {"path": value["path"]}
    if isinstance(value, str) and value in photo_ids:
        return {"id": photo_ids[value]}
    return None


def _choices(params: dict[str, Any]) -> list[list[list[Any]]]:
    keyboard = (params.get("reply_markup") or {}).get("inline_keyboard") or []
    return [
        [[b.get("text", ""), b.get("callback_data", "")] for b in row if b.get("callback_data")] for row in keyboard
    ]


def _message_of(method: str, params: dict[str, Any], photo_ids: dict[str, int]) -> tuple[dict[str, Any], str | None]:
    """The stored message for one Bot API call, and why it cannot be converted (None when it can)."""
    data: dict[str, Any] = {}
    if method in ("sendMessage", "editMessageText"):
        data["lines"] = [params.get("text", "")]
    elif method == "sendPhoto":
        photo = _photo(params.get("photo"), photo_ids)
        if photo is None:
            return data, "the photo of this message is not stored"
        data["photos"] = [photo]
        if params.get("caption"):
            data["lines"] = [params["caption"]]
    elif method == "sendMediaGroup":
        media = params.get("media") or []
        photos = [_photo(item.get("media"), photo_ids) for item in media]
        if not photos or any(p is None for p in photos):
            return data, "a photo of this album is not stored"
        data["photos"] = photos
        caption = next((item.get("caption") for item in media if item.get("caption")), None)
        if caption:
            data["lines"] = [caption]
    elif method == "sendLocation":
        data["location"] = [params.get("latitude"), params.get("longitude")]
    else:
        return data, f"{method} has no channel-neutral form"
    choices = _choices(params)
    if choices:
        data["choices"] = choices
    return data, None


def downgrade() -> None:
    raise NotImplementedError("0002 moves data between tables; restore the backup taken before upgrading")
