"""Bring a database to the newest schema with Alembic (``citybot db upgrade``, and every process at start-up).

Several processes starting together (``citybot run`` and N workers) all migrate. On PostgreSQL the migration
runs inside a transaction that first takes an advisory lock for the schema: one process migrates, the others
wait for it to commit and then find nothing to do. SQLite serialises writers itself.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import text
from sqlalchemy.engine import Connection, make_url

from models.db import Database

MIGRATIONS_DIR = Path(__file__).resolve().parents[1] / "migrations"
#: The advisory lock's first key ("city"); the second is the schema's hash, so schemas migrate independently.
LOCK_KEY = 0x63697479
_LOCK = text("SELECT pg_advisory_xact_lock(:key, hashtext(current_schema()))")


def alembic_config(url: str, connect_args: dict[str, Any] | None = None) -> Config:
    """An Alembic config for ``url`` that needs no ini file in the working directory."""
    cfg = Config(str(MIGRATIONS_DIR / "alembic.ini"))
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("version_locations", str(MIGRATIONS_DIR / "versions"))
    cfg.attributes["url"] = url
    cfg.attributes["connect_args"] = connect_args or {}
    return cfg


def upgrade_sync(url: str, revision: str = "head", connect_args: dict[str, Any] | None = None) -> None:
    """Run migrations up to ``revision`` (blocking; not inside a running event loop)."""
    cfg = alembic_config(url, connect_args)
    if make_url(url).get_backend_name() == "postgresql":
        asyncio.run(_upgrade_locked(cfg, url, revision, connect_args or {}))
    else:
        command.upgrade(cfg, revision)


async def _upgrade_locked(cfg: Config, url: str, revision: str, connect_args: dict[str, Any]) -> None:
    db = Database(url, connect_args=connect_args)

    def migrate(connection: Connection) -> None:
        # env.py uses a connection it is given; already in a transaction, Alembic leaves the commit to us.
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, revision)

    try:
        async with db.engine.connect() as connection:
            await connection.execute(_LOCK, {"key": LOCK_KEY})  # held until the commit below
            await connection.run_sync(migrate)
            await connection.commit()
    finally:
        await db.dispose()


async def upgrade(url: str, revision: str = "head", connect_args: dict[str, Any] | None = None) -> None:
    """Run migrations up to ``revision`` from async code (in a worker thread, Alembic runs its own loop)."""
    await asyncio.to_thread(upgrade_sync, url, revision, connect_args)
