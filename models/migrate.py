"""Bring a database to the newest schema with Alembic (``citybot db upgrade``)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).resolve().parents[1] / "migrations"


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
    command.upgrade(alembic_config(url, connect_args), revision)


async def upgrade(url: str, revision: str = "head", connect_args: dict[str, Any] | None = None) -> None:
    """Run migrations up to ``revision`` from async code (in a worker thread, Alembic runs its own loop)."""
    await asyncio.to_thread(upgrade_sync, url, revision, connect_args)
