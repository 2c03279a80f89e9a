"""Upgrading a database of the Telegram-only schema (0001) with data in it keeps every row working."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select, text

from models.broadcast import Subscription
from models.db import Database
from models.grid import OfficerBinding
from models.identities import UserIdentity
from models.migrate import upgrade
from models.outbox import DeliveryStatus, OutboxMessage
from models.uow import UnitOfWork
from models.users import User
from services.messages import Choice, PhotoRef, Text, from_json
from services.outbox import Contact, contact_of

NOW = datetime(2026, 11, 20, 8, 0)  # naive: SQLite stores UTC without a zone
KEYBOARD = {"inline_keyboard": [[{"text": "Accept", "callback_data": "case:accept:1"}]]}


def _rows() -> list[tuple[str, dict[str, Any]]]:
    return [
        (
            "INSERT INTO users (id, telegram_id, first_name, username, language, telegram_language, role, banned, "
            "blocked_bot, leaderboard_opt_in, created_at) VALUES (:id, :tg, :name, :username, NULL, :lang, :role, "
            "false, :blocked, false, :now)",
            params,
        )
        for params in (
            {
                "id": 1,
                "tg": 501,
                "name": "Li",
                "username": "li",
                "lang": "zh-hans",
                "role": "citizen",
                "blocked": False,
            },
            {"id": 2, "tg": 777, "name": "Wang", "username": None, "lang": "en", "role": "officer", "blocked": False},
            {"id": 3, "tg": 888, "name": "Gone", "username": None, "lang": "en", "role": "citizen", "blocked": True},
        )
    ] + [
        (
            "INSERT INTO grid_units (id, name, level, active, updated_at) VALUES ('G1', 'Grid 1', 'grid', true, :now)",
            {},
        ),
        (
            "INSERT INTO officer_bindings (id, user_id, unit_id, role, display_name, created_at) "
            "VALUES (1, 2, 'G1', 'officer', 'Wang', :now)",
            {},
        ),
        (
            "INSERT INTO cases (id, reporter_id, category, status, lat, lon, language, unit_id, chain, routed_by, "
            "reported_at, rework_count, return_count, extension_count, escalation_level) VALUES (1, 1, '0201', "
            "'dispatched', 39.9, 116.4, 'zh_CN', 'G1', 'G1', 'inside', :now, 0, 0, 0, 0)",
            {},
        ),
        (
            "INSERT INTO photos (id, case_id, kind, file_id, file_unique_id, created_at) "
            "VALUES (7, 1, 'report', 'AgADphoto', 'u1', :now)",
            {},
        ),
        (
            "INSERT INTO subscriptions (id, chat_id, user_id, language, active, created_at, subscribed_at) "
            "VALUES (1, -100123, NULL, 'zh_CN', true, :now, :now)",
            {},
        ),
    ]


def _outbox(row_id: int, method: str, params: dict[str, Any], status: str = "pending") -> tuple[str, dict[str, Any]]:
    return (
        "INSERT INTO outbox (id, chat_id, user_id, kind, method, params, case_id, status, attempts, "
        "next_attempt_at, created_at, telegram_message_id) VALUES (:id, 777, 2, 'assignment', :method, :params, 1, "
        ":status, 0, :now, :now, :mid)",
        {
            "id": row_id,
            "method": method,
            "params": json.dumps(params),
            "status": status,
            "mid": 42 if status == "sent" else None,
        },
    )


async def _seed_0001(url: str, connect_args: dict[str, Any]) -> None:
    await upgrade(url, "0001", connect_args=connect_args)
    db = Database(url, connect_args=connect_args)
    statements = [
        *_rows(),
        _outbox(1, "sendPhoto", {"photo": "AgADphoto", "caption": "Case #1: posters"}),
        _outbox(2, "sendLocation", {"latitude": 39.9, "longitude": 116.4}),
        _outbox(3, "sendMessage", {"text": "New case for your grid.", "reply_markup": KEYBOARD}, status="sent"),
        _outbox(4, "sendPhoto", {"photo": "unknown-file", "caption": "lost"}),
    ]
    now = NOW if db.is_sqlite else NOW.replace(tzinfo=UTC)
    try:
        async with db.engine.begin() as conn:
            for sql, params in statements:
                await conn.execute(text(sql), {"now": now, **params})
    finally:
        await db.dispose()


@pytest.fixture
async def upgraded(db_url: tuple[str, dict[str, Any]]) -> Database:
    url, connect_args = db_url
    await _seed_0001(url, connect_args)
    await upgrade(url, connect_args=connect_args)
    db = Database(url, connect_args=connect_args)
    yield db  # type: ignore[misc]
    await db.dispose()


async def test_telegram_ids_become_identities_and_contacts(upgraded: Database) -> None:
    async with UnitOfWork(upgraded) as uow:
        accounts = {
            (a.user_id, a.channel, a.external_id, a.display_name, a.username, a.language, a.blocked)
            for a in await uow.session.scalars(select(UserIdentity))
        }
        users = {u.id: u for u in await uow.session.scalars(select(User))}
        binding = await uow.session.scalar(select(OfficerBinding))
    assert accounts == {
        (1, "telegram", "501", "Li", "li", "zh-hans", False),
        (2, "telegram", "777", "Wang", None, "en", False),
        (3, "telegram", "888", "Gone", None, "en", True),
    }
    assert contact_of(users[1]) == Contact("telegram", "501") and users[1].locale == "zh_CN"
    assert contact_of(users[3]) is None  # blocked the bot before the upgrade: still nothing is sent to them
    assert binding is not None and binding.user_id == 2 and users[2].role == "officer"


async def test_pending_outbox_rows_become_messages_and_nothing_is_lost(upgraded: Database) -> None:
    async with UnitOfWork(upgraded) as uow:
        rows = {r.id: r for r in await uow.session.scalars(select(OutboxMessage))}
        subscription = await uow.session.scalar(select(Subscription))
    assert {r.id for r in rows.values()} == {1, 2, 3, 4}
    assert all((r.channel, r.address) == ("telegram", "777") for r in rows.values())
    photo = from_json(rows[1].payload)
    assert photo.photos == (PhotoRef(photo_id=7),) and photo.lines == (Text.raw("Case #1: posters"),)
    assert rows[1].status == DeliveryStatus.PENDING
    assert from_json(rows[2].payload).location == (39.9, 116.4)
    card = from_json(rows[3].payload)
    assert card.choices == ((Choice(Text.raw("Accept"), "case:accept:1"),),)
    assert rows[3].delivered == ["42"]  # a later edit of this card still finds the Telegram message
    # A photo the database does not hold cannot be shown again: failed with the reason, not silently dropped.
    assert rows[4].status == DeliveryStatus.FAILED and "not stored" in (rows[4].last_error or "")
    assert subscription is not None and (subscription.channel, subscription.address) == ("telegram", "-100123")
