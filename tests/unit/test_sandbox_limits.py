"""Flood limits and injected faults of the sandbox, on a clock the test moves."""

from __future__ import annotations

import pytest

from sandbox.errors import ApiError
from sandbox.limits import Fault, FaultInjector, RateLimiter


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_private_chat_allows_a_short_burst_then_answers_429_with_retry_after() -> None:
    clock = FakeClock()
    limiter = RateLimiter(enabled=True, private_burst=3, clock=clock)
    for _ in range(3):
        limiter.check(bot_id=1, chat_id=42, private=True)
    with pytest.raises(ApiError) as refused:
        limiter.check(bot_id=1, chat_id=42, private=True)
    assert refused.value.code == 429
    assert refused.value.payload() == {
        "ok": False,
        "error_code": 429,
        "description": "Too Many Requests: retry after 1",
        "parameters": {"retry_after": 1},
    }
    clock.now += 1.0
    limiter.check(bot_id=1, chat_id=42, private=True)


def test_each_private_chat_has_its_own_budget() -> None:
    limiter = RateLimiter(enabled=True, private_burst=1, clock=FakeClock())
    limiter.check(bot_id=1, chat_id=42, private=True)
    limiter.check(bot_id=1, chat_id=43, private=True)
    with pytest.raises(ApiError):
        limiter.check(bot_id=1, chat_id=42, private=True)


def test_group_gets_twenty_a_minute_and_retry_after_counts_the_wait() -> None:
    limiter = RateLimiter(enabled=True, clock=FakeClock())
    for _ in range(20):
        limiter.check(bot_id=1, chat_id=-100, private=False)
    with pytest.raises(ApiError) as refused:
        limiter.check(bot_id=1, chat_id=-100, private=False)
    assert refused.value.retry_after == 3  # one send every 3 s refills a minute's 20


def test_bot_wide_limit_spans_chats() -> None:
    limiter = RateLimiter(enabled=True, global_per_second=30, clock=FakeClock())
    for chat_id in range(30):
        limiter.check(bot_id=1, chat_id=chat_id, private=True)
    with pytest.raises(ApiError):
        limiter.check(bot_id=1, chat_id=999, private=True)
    limiter.check(bot_id=2, chat_id=999, private=True)  # another bot is not affected


def test_refused_sends_do_not_use_up_the_budget() -> None:
    clock = FakeClock()
    limiter = RateLimiter(enabled=True, private_burst=1, clock=clock)
    limiter.check(bot_id=1, chat_id=42, private=True)
    for _ in range(5):
        with pytest.raises(ApiError):
            limiter.check(bot_id=1, chat_id=42, private=True)
    clock.now += 1.0
    limiter.check(bot_id=1, chat_id=42, private=True)


def test_limits_are_off_by_default() -> None:
    limiter = RateLimiter(clock=FakeClock())
    for _ in range(100):
        limiter.check(bot_id=1, chat_id=42, private=True)


def test_scripted_faults_hit_the_next_calls_of_that_method_only() -> None:
    faults = FaultInjector()
    faults.script("sendMessage", [Fault(status=502), Fault(status=429, retry_after=7)])
    assert faults.draw("getUpdates") is None
    first, second, third = (faults.draw("sendMessage") for _ in range(3))
    assert first is not None and first.error().code == 502
    assert second is not None and second.error().retry_after == 7
    assert third is None


def test_random_faults_follow_the_seed_and_spare_non_sending_methods() -> None:
    def pattern(seed: int) -> list[bool]:
        faults = FaultInjector()
        faults.configure(rate=0.2, statuses=(500, 429), seed=seed)
        return [faults.draw("sendMessage") is not None for _ in range(200)]

    assert pattern(7) == pattern(7)
    assert 20 <= sum(pattern(7)) <= 60
    faults = FaultInjector()
    faults.configure(rate=1.0)
    assert faults.draw("getUpdates") is None
    assert faults.draw("sendPhoto") is not None
