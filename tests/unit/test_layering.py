"""Adapters and command lines parse and render: no unit of work, no SQL outside the services.

Channel adapters (``channels/``) and the CLI and demo routes (``bot/``) call service functions that own their unit of
work and return plain values. The demo's seeding (``bot/demo_seed.py``, ``bot/demo_history.py``) writes a made-up
city straight into the database and is the one exception.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SEEDING = {"bot/demo_seed.py", "bot/demo_history.py"}
#: A unit of work, or SQLAlchemy's query, ORM or session API (its URL parsing and errors are not SQL).
DATABASE = re.compile(r"\bUnitOfWork\b|^\s*from sqlalchemy(?:\.(?:orm|ext|sql)[\w.]*)? import", re.MULTILINE)


def _modules() -> list[str]:
    found = [p for p in (ROOT / "channels").rglob("*.py")] + list((ROOT / "bot").glob("*.py"))
    return sorted(str(p.relative_to(ROOT)) for p in found if str(p.relative_to(ROOT)) not in SEEDING)


@pytest.mark.parametrize("module", _modules())
def test_no_unit_of_work_or_sql_outside_the_services(module: str) -> None:
    source = (ROOT / module).read_text(encoding="utf-8")
    assert not DATABASE.search(source), f"{module} opens a unit of work or uses SQLAlchemy: call a service instead"


def test_the_check_sees_a_unit_of_work() -> None:
    assert DATABASE.search("    async with UnitOfWork(services.db) as uow:\n")
    assert DATABASE.search("from sqlalchemy import select\n")
    assert DATABASE.search("from sqlalchemy.ext.asyncio import AsyncSession\n")
    assert not DATABASE.search("from sqlalchemy.engine import make_url\n")
