"""The outbox sender on both backends: order per chat, retries, 429, 403, 400, edits, claims and crashes."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from channels.telegram import CHANNEL as TELEGRAM
from models.identities import UserIdentity
from models.outbox import DeliveryStatus, OutboxMessage
from models.uow import UnitOfWork
from models.users import Role, User
from services.channels import (
    AwaitingContact,
    ChannelRegistry,
    DeliveryError,
    Outgoing,
    RecipientBlocked,
    Rejected,
    RetryLater,
    TransientError,
)
from services.clock import ManualClock
from services.context import Services
from services.delivery import HELD, _deliver_one, deliver_due, resume_held
from services.messages import Message, PhotoRef, Text, from_json
from services.outbox import Contact, enqueue
from services.outbox_claims import claim_due
from tests.world import tg_user


class FakeApi:
    """A channel sender ("telegram") that records deliveries, raises the errors scripted per chat, in order, and
    numbers messages like Telegram."""

    channel = TELEGRAM

    def __init__(self, script: dict[int, list[DeliveryError]] | None = None, delay: float = 0.0) -> None:
        self.calls: list[Outgoing] = []
        self.script = script or {}
        self.delay = delay
        self._next = 100

    def interval(self, address: str) -> float:
        return 0.0

    async def deliver(self, item: Outgoing) -> list[str]:
        self.calls.append(item)
        if self.delay:
            await asyncio.sleep(self.delay)
        queue = self.script.get(int(item.address))
        if queue:
            raise queue.pop(0)
        count = max(len(item.message.photos), 1)
        self._next += count
        return [str(n) for n in range(self._next - count + 1, self._next + 1)]

    def texts(self, chat_id: int) -> list[str]:
        return [
            line.values.get("raw", line.msgid)
            for c in self.calls
            if c.address == str(chat_id)
            for line in c.message.lines
        ]


@pytest.fixture
def fast(services: Services) -> Services:
    """Services whose sender does not pace (pacing has its own tests)."""
    services.config.outbox.per_chat_interval_seconds = 0
    services.config.outbox.group_interval_seconds = 0
    services.config.outbox.global_per_second = 1_000_000
    return services


async def queue(services: Services, *messages: tuple[int, str]) -> list[int]:
    """Queue texts (chat, text) in order; returns their row ids."""
    ids = []
    async with UnitOfWork(services.db) as uow:
        for chat, text in messages:
            row = await enqueue(uow.session, to=_at(chat), message=_text(text), kind="test", now=services.clock.now())
            assert row is not None
            ids.append(row.id)
        await uow.commit()
    return ids


def _at(chat: int) -> Contact:
    return Contact(TELEGRAM, str(chat))


def _text(text: str) -> Message:
    return Message(lines=(Text.raw(text),))


async def rows(services: Services) -> dict[int, OutboxMessage]:
    async with UnitOfWork(services.db) as uow:
        return {r.id: r for r in await uow.session.scalars(select(OutboxMessage))}


async def test_rows_are_sent_in_order_and_marked_with_their_message_ids(fast: Services) -> None:
    ids = await queue(fast, (1, "a1"), (2, "b1"), (1, "a2"), (1, "a3"))
    api = FakeApi()
    assert await deliver_due(fast, api) == 4
    assert api.texts(1) == ["a1", "a2", "a3"] and api.texts(2) == ["b1"]
    stored = await rows(fast)
    assert all(stored[i].status == DeliveryStatus.SENT and stored[i].attempts == 1 for i in ids)
    assert sorted(stored[i].delivered_ids for i in ids) == ["101", "102", "103", "104"]  # type: ignore[type-var]
    assert await deliver_due(fast, api) == 0 and len(api.calls) == 4  # nothing is sent twice


async def test_a_media_group_keeps_every_message_id(fast: Services) -> None:
    async with UnitOfWork(fast.db) as uow:
        album = Message(photos=(PhotoRef(path="/f1.png"), PhotoRef(path="/f2.png")))
        await enqueue(uow.session, to=_at(5), message=album, kind="t", now=fast.clock.now())
        await uow.commit()
    await deliver_due(fast, FakeApi())
    (row,) = (await rows(fast)).values()
    assert row.delivered == ["101", "102"]


async def test_a_5xx_is_retried_with_exponential_backoff_and_later_rows_wait(
    fast: Services, clock: ManualClock
) -> None:
    first, second, other = await queue(fast, (1, "first"), (1, "second"), (2, "other chat"))
    api = FakeApi({1: [TransientError("502 Bad Gateway"), TransientError("500")]})
    assert await deliver_due(fast, api) == 1  # only the other chat's row
    stored = await rows(fast)
    assert stored[first].status == DeliveryStatus.PENDING and stored[first].attempts == 1
    assert stored[first].next_attempt_at == clock.now() + timedelta(seconds=2)
    assert stored[first].last_error == "502 Bad Gateway"
    assert stored[second].status == DeliveryStatus.PENDING and stored[second].attempts == 0
    assert stored[other].status == DeliveryStatus.SENT
    clock.advance(timedelta(seconds=2))
    assert await deliver_due(fast, api) == 0
    assert (await rows(fast))[first].next_attempt_at == clock.now() + timedelta(seconds=4)  # doubled
    clock.advance(timedelta(seconds=4))
    assert await deliver_due(fast, api) == 2
    assert api.texts(1) == ["first", "first", "first", "second"]


async def test_after_max_attempts_the_row_fails_and_the_chat_moves_on(fast: Services, clock: ManualClock) -> None:
    fast.config.outbox.max_attempts = 3
    doomed, after = await queue(fast, (1, "doomed"), (1, "after"))
    api = FakeApi({1: [TransientError("500")] * 3})
    for _ in range(3):
        await deliver_due(fast, api)
        clock.advance(timedelta(minutes=1))
    stored = await rows(fast)
    assert stored[doomed].status == DeliveryStatus.FAILED and stored[doomed].attempts == 3
    assert stored[after].status == DeliveryStatus.SENT
    assert api.texts(1) == ["doomed", "doomed", "doomed", "after"]


async def test_429_waits_retry_after_without_using_up_attempts(fast: Services, clock: ManualClock) -> None:
    fast.config.outbox.max_attempts = 2
    (row_id,) = await queue(fast, (1, "hello"))
    api = FakeApi({1: [RetryLater(7)] * 5})
    for _ in range(5):
        assert await deliver_due(fast, api) == 0
        stored = (await rows(fast))[row_id]
        assert stored.next_attempt_at == clock.now() + timedelta(seconds=7) and stored.attempts == 0
        clock.advance(timedelta(seconds=6))
        assert await deliver_due(fast, api) == 0  # not yet
        clock.advance(timedelta(seconds=1))
    assert await deliver_due(fast, api) == 1
    assert (await rows(fast))[row_id].status == DeliveryStatus.SENT


async def test_403_marks_the_user_blocked_and_fails_their_pending_rows(fast: Services) -> None:
    async with UnitOfWork(fast.db) as uow:
        user = tg_user(42, first_name="Gone", role=Role.CITIZEN, created_at=fast.clock.now())
        uow.session.add(user)
        await uow.commit()
    a, b, other = await queue(fast, (42, "one"), (42, "two"), (7, "someone else"))
    api = FakeApi({42: [RecipientBlocked("Forbidden: bot was blocked by the user")]})
    assert await deliver_due(fast, api) == 1
    stored = await rows(fast)
    assert stored[a].status == stored[b].status == DeliveryStatus.FAILED
    assert stored[other].status == DeliveryStatus.SENT
    assert api.texts(42) == ["one"]  # the second was never tried
    async with UnitOfWork(fast.db) as uow:
        gone = await uow.session.get(User, user.id)
        account = await uow.session.scalar(select(UserIdentity).where(UserIdentity.user_id == user.id))
    assert gone is not None and gone.contact_address is None  # nothing more is queued for them
    assert account is not None and account.blocked


async def test_400_fails_at_once(fast: Services) -> None:
    bad, good = await queue(fast, (1, "bad"), (1, "good"))
    await deliver_due(fast, FakeApi({1: [Rejected("Bad Request: wrong file identifier")]}))
    stored = await rows(fast)
    assert stored[bad].status == DeliveryStatus.FAILED and stored[bad].attempts == 1
    assert stored[bad].last_error == "Bad Request: wrong file identifier"
    assert stored[good].status == DeliveryStatus.SENT


async def test_an_edit_targets_the_delivered_message(fast: Services) -> None:
    (card,) = await queue(fast, (1, "card"))
    async with UnitOfWork(fast.db) as uow:
        await enqueue(uow.session, to=_at(1), message=_text("taken"), kind="edit", now=fast.clock.now(), ref_id=card)
        await uow.commit()
    api = FakeApi()
    assert await deliver_due(fast, api) == 2
    edit = api.calls[1]
    assert edit.replaces == ["101"] and edit.message == _text("taken")


async def test_an_edit_of_a_message_that_never_arrived_fails_without_a_call(fast: Services) -> None:
    (card,) = await queue(fast, (1, "card"))
    async with UnitOfWork(fast.db) as uow:
        await enqueue(uow.session, to=_at(1), message=_text("x"), kind="edit", now=fast.clock.now(), ref_id=card)
        await uow.commit()
    await deliver_due(fast, FakeApi({1: [Rejected("chat not found")]}))
    stored = sorted((await rows(fast)).values(), key=lambda r: r.id)
    assert [r.status for r in stored] == [DeliveryStatus.FAILED, DeliveryStatus.FAILED]


class OneSlowChat(FakeApi):
    """Chat 1's delivery takes until every other chat has had its message (or 5 s)."""

    def __init__(self, others: int) -> None:
        super().__init__()
        self.others, self.others_done, self.seen_while_slow = others, 0, -1
        self._all_others = asyncio.Event()

    async def deliver(self, item: Outgoing) -> list[str]:
        if item.address != "1":
            self.others_done += 1
            if self.others_done == self.others:
                self._all_others.set()
            return await super().deliver(item)
        try:
            await asyncio.wait_for(self._all_others.wait(), 5.0)
        except TimeoutError:
            pass
        self.seen_while_slow = self.others_done
        return await super().deliver(item)


async def test_a_slow_chat_does_not_hold_back_the_chats_claimed_after_it(fast: Services) -> None:
    fast.config.outbox.batch_size = 4
    await queue(fast, *[(chat, f"to {chat}") for chat in range(1, 10)])
    api = OneSlowChat(others=8)
    assert await deliver_due(fast, api) == 9
    # While chat 1's message was on its way, the next rows were claimed and all eight other chats got theirs.
    assert api.seen_while_slow == 8
    assert api.texts(1) == ["to 1"]


async def test_two_workers_never_send_a_row_twice(fast: Services) -> None:
    fast.config.outbox.batch_size = 7
    await queue(fast, *[(chat, f"{chat}-{n}") for n in range(6) for chat in range(1, 11)])
    api = FakeApi(delay=0.001)
    sent = await asyncio.gather(*(deliver_due(fast, api) for _ in range(4)))
    assert sum(sent) == 60
    keys = [c.message.lines[0].values["raw"] for c in api.calls]
    assert len(keys) == len(set(keys)) == 60
    for chat in range(1, 11):
        assert api.texts(chat) == [f"{chat}-{n}" for n in range(6)]


async def test_rows_claimed_by_a_crashed_worker_are_sent_after_the_claim_lapses(
    fast: Services, clock: ManualClock
) -> None:
    await queue(fast, (1, "a"), (2, "b"))
    _token, claimed = await claim_due(fast, 10)  # a worker claims, then dies without sending
    assert len(claimed) == 2
    api = FakeApi()
    assert await deliver_due(fast, api) == 0
    clock.advance(timedelta(seconds=fast.config.outbox.claim_seconds + 1))
    assert await deliver_due(fast, api) == 2 and len(api.calls) == 2


async def test_limit_bounds_one_call(fast: Services) -> None:
    await queue(fast, *[(chat, "x") for chat in range(1, 6)])
    assert await deliver_due(fast, FakeApi(), limit=2) == 2
    assert await deliver_due(fast, FakeApi()) == 3


async def test_rows_of_a_chat_wait_behind_a_row_in_backoff(fast: Services, clock: ManualClock) -> None:
    first, second = await queue(fast, (1, "first"), (1, "second"))
    async with UnitOfWork(fast.db) as uow:
        later = clock.now() + timedelta(minutes=5)
        await uow.session.execute(update(OutboxMessage).where(OutboxMessage.id == first).values(next_attempt_at=later))
        await uow.commit()
    api = FakeApi()
    assert await deliver_due(fast, api) == 0
    clock.advance(timedelta(minutes=5))
    assert await deliver_due(fast, api) == 2
    assert api.texts(1) == ["first", "second"]
    assert from_json((await rows(fast))[second].payload) == _text("second")


async def test_a_row_the_channel_cannot_deliver_yet_is_held_until_the_person_writes(
    fast: Services, clock: ManualClock
) -> None:
    held, after = await queue(fast, (1, "outside the window"), (1, "later notice"))
    api = FakeApi({1: [AwaitingContact("45015: the person has not written for 48 hours")]})
    assert await deliver_due(fast, api) == 0
    stored = await rows(fast)
    assert stored[held].status == stored[after].status == DeliveryStatus.PENDING  # nothing lost
    assert (stored[held].last_error or "").startswith(HELD) and stored[held].attempts == 0
    clock.advance(timedelta(days=1))
    assert await deliver_due(fast, api) == 0  # still held: no retries while the person is silent
    assert await resume_held(fast, TELEGRAM, "1") == 1  # they wrote again
    assert await deliver_due(fast, api) == 2
    assert api.texts(1) == ["outside the window", "outside the window", "later notice"]


async def test_a_pass_that_lost_its_claim_does_not_overwrite_the_pass_that_took_it(
    fast: Services, clock: ManualClock
) -> None:
    (row_id,) = await queue(fast, (1, "slow"))
    _token, (stale,) = await claim_due(fast, 10)  # a pass claims the row, then stalls past its claim
    clock.advance(timedelta(seconds=fast.config.outbox.claim_seconds + 1))
    api = FakeApi()
    assert await deliver_due(fast, api) == 1  # another pass takes the lapsed claim and delivers
    failing = FakeApi({1: [Rejected("Bad Request: chat not found")]})
    await _deliver_one(fast, ChannelRegistry([failing]), stale, {})  # the stalled pass wakes up and fails
    stored = (await rows(fast))[row_id]
    assert stored.status == DeliveryStatus.SENT and stored.delivered == ["101"]  # its late failure is not recorded


class HeldUntilReleased(FakeApi):
    """Each delivery waits until the test lets it go (a slow channel while the clock jumps)."""

    def __init__(self) -> None:
        super().__init__()
        self.started = asyncio.Event()
        self.go = asyncio.Event()

    async def deliver(self, item: Outgoing) -> list[str]:
        self.started.set()
        await self.go.wait()
        return await super().deliver(item)


async def test_a_clock_jump_does_not_let_a_second_pass_take_what_the_first_is_sending(
    fast: Services, clock: ManualClock
) -> None:
    await queue(fast, (1, "first"), (1, "second"), (2, "other"))
    api = HeldUntilReleased()
    first_pass = asyncio.create_task(deliver_due(fast, api))
    await asyncio.wait_for(api.started.wait(), 5)
    clock.advance(timedelta(hours=1))  # every claim of the first pass has lapsed in clock time
    second_pass = asyncio.create_task(deliver_due(fast, api))
    await asyncio.sleep(0.2)
    api.go.set()
    sent = await asyncio.gather(first_pass, second_pass)
    assert sum(sent) == 3
    assert api.texts(1) == ["first", "second"] and api.texts(2) == ["other"]  # once each, in order
    assert {r.status for r in (await rows(fast)).values()} == {DeliveryStatus.SENT}
    assert fast.in_flight.rows == set() and fast.in_flight.addresses == set()
