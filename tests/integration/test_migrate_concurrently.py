"""Processes starting together all migrate at start-up: on PostgreSQL one migrates, the others wait and find it done."""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

import pytest
from sqlalchemy import text

from models.db import Database

MIGRATE = """
import json, sys
from models.migrate import upgrade_sync
upgrade_sync(sys.argv[1], connect_args=json.loads(sys.argv[2]))
"""


async def migrate_in_process(url: str, connect_args: dict[str, Any]) -> tuple[int, str]:
    """`citybot run`'s start-up migration in a process of its own."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", MIGRATE, url, json.dumps(connect_args),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    try:
        out, _ = await asyncio.wait_for(process.communicate(), 120)
    except TimeoutError:
        process.kill()
        await process.wait()
        return -1, "timed out"
    assert process.returncode is not None
    return process.returncode, out.decode()[-2000:]


@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
async def test_concurrent_upgrades_of_a_fresh_schema_all_succeed(db_url: tuple[str, dict[str, Any]]) -> None:
    url, connect_args = db_url
    results = await asyncio.gather(*(migrate_in_process(url, connect_args) for _ in range(3)))
    assert [output for code, output in results if code != 0] == []
    db = Database(url, connect_args=connect_args)
    try:
        async with db.engine.connect() as conn:
            versions = list(await conn.scalars(text("SELECT version_num FROM alembic_version")))
            tables = await conn.scalar(
                text("SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema()")
            )
    finally:
        await db.dispose()
    assert len(versions) == 1  # one migration history, not one per process
    assert tables is not None and tables > 10
