"""The WeChat sender on the outbox port, against the sandbox: long texts, the window's allowance, unfollowed
accounts, an unreachable WeChat, and no part sent twice."""

from __future__ import annotations

from datetime import timedelta

import pytest

from channels.wechat import CHANNEL
from channels.wechat.api import WeChatApi
from channels.wechat.bootstrap import queue_undelivered
from channels.wechat.errors import OutsideWindow, UserUnsubscribed
from channels.wechat.sender import WeChatSender
from channels.wechat.settings import WeChatSettings
from models.identities import UserIdentity
from models.outbox import DeliveryStatus
from models.uow import UnitOfWork
from sandbox.wechat.client import WxUser
from services.channels import Outgoing, TransientError
from services.messages import Choice, Message, Text
from services.outbox import Contact, enqueue
from services.users import user_by_identity
from tests.e2e.wechat.conftest import APP_ID, APP_SECRET, TOKEN
from tests.e2e.wechat.world import WeChatWorld, world

__all__ = ["world"]


async def known(world: WeChatWorld, name: str = "小明", language: str = "zh_CN") -> WxUser:
    """A follower who wrote to the account (so citybot knows them and their window is open)."""
    user = await world.wx.create_user(name, language)
    await world.wx.send_text(user, "/help")
    return user


async def notify(
    world: WeChatWorld, user: WxUser, message: Message, kind: str = "case_status", ref_id: int | None = None
) -> int:
    """Queue ``message`` for ``user`` (``ref_id``: as an edit of that earlier row); returns the row id."""
    async with UnitOfWork(world.services.db) as uow:
        person = await user_by_identity(uow.session, CHANNEL, user.openid)
        assert person is not None
        row = await enqueue(
            uow.session, to=Contact(CHANNEL, user.openid), message=message, kind=kind,
            now=world.clock.now(), user_id=person.id, ref_id=ref_id,
        )  # fmt: skip
        await uow.commit()
        return row.id


async def status_of(world: WeChatWorld, row_id: int) -> tuple[DeliveryStatus, str | None]:
    rows = {r.id: r for r in await world.outbox()}
    return rows[row_id].status, rows[row_id].last_error


async def test_a_long_notice_is_split_within_wechats_2048_bytes(world: WeChatWorld) -> None:
    user = await known(world)
    seen = await world.seen(user)
    lines = tuple(Text.raw(f"第{n}行：东华门大街的小广告已经清理完毕，请核实。") for n in range(120))
    await notify(world, user, Message(lines))
    await world.deliver()
    texts = [item.text or "" for item in await world.wx.received(user, seen)]
    assert len(texts) >= 3 and all(len(t.encode()) <= 2048 for t in texts)
    assert "\n".join(texts).count("请核实") == 120


async def test_choices_in_a_notice_are_numbered_and_answerable_in_the_readers_language(world: WeChatWorld) -> None:
    user = await known(world, "Tom", "en")
    seen = await world.seen(user)
    choices = ((Choice(Text("Fixed"), "case:fixed:999"), Choice(Text("Not fixed"), "case:notfixed:999")),)
    await notify(world, user, Message((Text.raw("Report #999"),), choices))
    await world.deliver()
    (shown,) = await world.wx.received(user, seen)
    assert shown.text == "Report #999\n1. Fixed\n2. Not fixed\nReply with a number from 1 to 2, or the item's text."
    refused = (await world.wx.send_text(user, "2")).reply or ""  # a case that does not exist: refused, not run
    assert refused == "There is no case #999."


async def test_an_edit_of_an_earlier_card_sends_nothing_new(world: WeChatWorld) -> None:
    user = await known(world, "Tom", "en")
    seen = await world.seen(user)
    card = await notify(world, user, Message((Text.raw("New case #999"),)), kind="assignment_card")
    await world.deliver()
    assert [item.text for item in await world.wx.received(user, seen)] == ["New case #999"]
    after = await world.seen(user)
    edit = await notify(world, user, Message((Text.raw("Case #999 is closed"),)), kind="assignment_edit", ref_id=card)
    await world.deliver()
    assert await world.wx.received(user, after) == []  # WeChat cannot edit: no second message per case step
    assert (await status_of(world, edit))[0] == DeliveryStatus.SENT


async def test_over_the_windows_allowance_the_rest_waits_and_nothing_is_sent_twice(world: WeChatWorld) -> None:
    user = await known(world)
    await world.wx.set_limits(window_cap=1)
    seen = await world.seen(user)
    long = tuple(Text.raw("清理记录 " * 30) for _ in range(30))  # about 11,700 bytes: six parts
    row = await notify(world, user, Message(long))
    await world.deliver()
    assert len(await world.wx.received(user, seen)) == 1
    status, error = await status_of(world, row)
    assert status == DeliveryStatus.PENDING and "allowance" in (error or "")
    await world.wx.set_limits(window_cap=20)
    await world.wx.send_text(user, "/help")  # writing again opens a new window and releases the row
    await world.deliver()
    parts = [item for item in await world.wx.received(user, seen) if "清理记录" in (item.text or "")]
    assert len(parts) == 6 and "".join(p.text or "" for p in parts).count("清理记录") == 900
    assert (await status_of(world, row))[0] == DeliveryStatus.SENT


async def test_an_account_that_unfollowed_unnoticed_is_blocked_and_its_rows_fail(world: WeChatWorld) -> None:
    user = await known(world)
    world.server.state.user(user.openid).subscribed = False  # the unsubscribe event never reached us
    first = await notify(world, user, Message((Text.raw("one"),)))
    second = await notify(world, user, Message((Text.raw("two"),)))
    await world.deliver()
    assert (await status_of(world, first))[0] == DeliveryStatus.FAILED
    assert (await status_of(world, second))[0] == DeliveryStatus.FAILED
    async with UnitOfWork(world.services.db) as uow:
        account = await uow.session.get(UserIdentity, 1)
        assert account is not None and account.blocked


async def test_an_unreachable_wechat_is_a_transient_error(world: WeChatWorld) -> None:
    settings = WeChatSettings(app_id=APP_ID, app_secret=APP_SECRET, token=TOKEN, api_base="http://127.0.0.1:9")
    async with WeChatApi(settings, world.clock) as api:
        sender = WeChatSender(api, world.services)
        item = Outgoing(1, "o-someone", Message((Text.raw("hello"),)), "zh_CN", "case_status")
        with pytest.raises(TransientError):
            await sender.deliver(item)


async def test_an_answer_custom_send_could_not_deliver_waits_in_the_outbox(world: WeChatWorld) -> None:
    user = await known(world)
    await world.wx.advance_clock(timedelta(hours=49))
    await queue_undelivered(world.services, user.openid, ["第二段回答"], OutsideWindow(45015, "out of time"))
    await queue_undelivered(world.services, user.openid, ["不会发送"], UserUnsubscribed(43004, "require subscribe"))
    await world.deliver()
    assert "第二段回答" not in await world.wx.texts(user)
    await world.wx.send_text(user, "/help")
    await world.deliver()
    texts = await world.wx.texts(user)
    assert texts.count("第二段回答") == 1 and "不会发送" not in texts
