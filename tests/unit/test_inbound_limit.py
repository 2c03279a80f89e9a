"""The per-sender message rate: a burst is fine, the first message over is answered once, the rest dropped."""

from __future__ import annotations

from services.inbound_limit import Admission, InboundLimiter


class Ticks:
    """A monotonic clock the test moves."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_burst_up_to_the_limit_passes_then_one_answer_then_silence_for_a_minute() -> None:
    ticks = Ticks()
    limiter = InboundLimiter(3, now=ticks)
    verdicts = [limiter.admit(7) for _ in range(6)]
    assert verdicts == [Admission.ACCEPT] * 3 + [Admission.REFUSE_AND_TELL, Admission.DROP, Admission.DROP]
    ticks.now += 59.0
    assert limiter.admit(7) is Admission.DROP  # still quiet, although tokens have refilled meanwhile
    ticks.now += 1.0
    assert [limiter.admit(7) for _ in range(3)] == [Admission.ACCEPT] * 3


def test_the_pace_of_the_limit_is_kept_up_forever() -> None:
    ticks = Ticks()
    limiter = InboundLimiter(30, now=ticks)
    for _ in range(30):
        limiter.admit(1)
    for _ in range(100):  # one message every 2 s is exactly 30 a minute
        ticks.now += 2.0
        assert limiter.admit(1) is Admission.ACCEPT


def test_one_sender_over_the_limit_does_not_touch_another() -> None:
    limiter = InboundLimiter(2, now=Ticks())
    for _ in range(5):
        limiter.admit("flood")
    assert limiter.admit("other") is Admission.ACCEPT


def test_zero_turns_the_limit_off() -> None:
    limiter = InboundLimiter(0, now=Ticks())
    assert all(limiter.admit(1) is Admission.ACCEPT for _ in range(1000))


def test_idle_senders_are_forgotten_when_the_table_grows() -> None:
    ticks = Ticks()
    limiter = InboundLimiter(5, now=ticks)
    for sender in range(10_000):
        limiter.admit(sender)
    ticks.now += 3600
    limiter.admit("newcomer")
    assert len(limiter) == 1


def test_a_quiet_sender_is_dropped_without_taking_a_token_and_counted_once() -> None:
    ticks = Ticks()
    limiter = InboundLimiter(2, now=ticks)
    assert not limiter.drop_if_quiet(7)  # never seen: not quiet
    verdicts = [limiter.admit(7) for _ in range(3)]
    assert verdicts == [Admission.ACCEPT, Admission.ACCEPT, Admission.REFUSE_AND_TELL]
    assert [limiter.drop_if_quiet(7) for _ in range(5)] == [True] * 5
    assert limiter.dropped == 5
    assert not limiter.drop_if_quiet(8)  # someone else is untouched
    ticks.now += 60.0
    assert not limiter.drop_if_quiet(7)  # the quiet minute is over
    assert [limiter.admit(7) for _ in range(2)] == [Admission.ACCEPT] * 2
    assert limiter.dropped == 5
