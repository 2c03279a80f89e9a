"""Kept GET answers: reused while the data version stands, dropped when it moves or the answer is too old."""

from __future__ import annotations

import pytest

from channels.open311 import cache as cache_module
from channels.open311.cache import ResponseCache


class Versions:
    """A data version the test moves, counting how often it was read."""

    def __init__(self) -> None:
        self.value = 1
        self.reads = 0

    async def __call__(self) -> tuple[object, ...]:
        self.reads += 1
        return (self.value,)


async def test_an_answer_is_reused_until_the_data_changes() -> None:
    versions = Versions()
    kept = ResponseCache(versions, check_seconds=0)
    kept.put("q", await kept.version(), b"answer 1")
    assert await kept.get("q") == b"answer 1"
    versions.value = 2  # a case changed
    assert await kept.get("q") is None
    assert versions.reads == 3  # checked on every request


async def test_checks_can_be_spaced_out_and_answers_expire(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [1000.0]
    monkeypatch.setattr(cache_module.time, "monotonic", lambda: now[0])
    versions = Versions()
    kept = ResponseCache(versions, check_seconds=5, max_age_seconds=60, size=2)
    kept.put("q", await kept.version(), b"old")
    versions.value = 2
    assert await kept.get("q") == b"old"  # within the check interval: may lag by up to 5 s
    now[0] += 5
    assert await kept.get("q") is None
    kept.put("q", await kept.version(), b"new")
    now[0] += 61
    versions.reads = 0
    assert await kept.get("q") is None and versions.reads == 1  # too old, whatever the version
    for key in ("a", "b", "c"):
        kept.put(key, (2,), key.encode())
    assert await kept.get("a") is None and await kept.get("c") == b"c"  # the oldest entry made room
