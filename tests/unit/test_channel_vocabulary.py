"""The core speaks the project's own terms: no channel's vocabulary in services/, models/ or geo/."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CORE = ("services", "models", "geo")
WORDS = re.compile(r"sendMessage|inline_keyboard|callback_data|parse_mode|chat_id|telegram", re.IGNORECASE)


def _core_files() -> list[Path]:
    return sorted(path for folder in CORE for path in (ROOT / folder).rglob("*.py"))


@pytest.mark.parametrize("path", _core_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_channel_vocabulary_in_the_core(path: Path) -> None:
    hits = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if WORDS.search(line)
    ]
    assert hits == []


def test_the_check_sees_the_core() -> None:
    assert len(_core_files()) > 30  # the folders exist and are read
    assert WORDS.search("await bot.sendMessage(chat_id=1)")
