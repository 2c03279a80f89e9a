"""Staff on WeChat: bound by an invite code, they get the case with its photo, accept, resolve with an after-photo,
and the reporter answers whether it is fixed, all by numbered answers."""

from __future__ import annotations

from models.status import CaseStatus
from sandbox.wechat.client import WxUser
from tests.e2e.wechat.world import INSIDE, WeChatWorld, number_of, world

__all__ = ["world"]


async def report(world: WeChatWorld, citizen: WxUser, category: str = "暴露垃圾") -> str:
    """The citizen reports litter inside G-1; returns the submission's answer."""
    wx = world.wx
    asked = (await wx.send_image(citizen)).reply or ""
    await wx.send_text(citizen, number_of(asked, category))
    await world.send_place(citizen, INSIDE)
    check = (await wx.send_text(citizen, "跳过")).reply or ""
    submit = "提交" if "提交" in check else "Submit"
    return (await wx.send_text(citizen, number_of(check, submit))).reply or ""


async def bound_officer(world: WeChatWorld, language: str = "zh_CN") -> WxUser:
    """A WeChat user bound to G-1 with ``绑定 <code>``."""
    officer = await world.wx.create_user("王网格员", language)
    code = await world.invite_code("G-1")
    said = (await world.wx.send_text(officer, f"绑定 {code.lower()}")).reply or ""
    assert "东华门网格一" in said
    return officer


async def test_a_bad_or_used_code_is_refused_and_binds_nobody(world: WeChatWorld) -> None:
    wx = world.wx
    stranger = await wx.create_user("路人", "zh_CN")
    assert "邀请码无效" in ((await wx.send_text(stranger, "绑定 ZZZZZZZZ")).reply or "")
    code = await world.invite_code("G-1")
    english = await wx.create_user("Li", "en")
    assert "grid officer of 东华门网格一" in ((await wx.send_text(english, f"bind {code}")).reply or "")
    assert "already been used" in ((await wx.send_text(english, f"bind {code}")).reply or "")
    assert "邀请码" in ((await wx.send_text(stranger, "绑定")).reply or "")


async def test_officer_on_wechat_accepts_and_resolves_and_the_reporter_confirms(world: WeChatWorld) -> None:
    wx = world.wx
    officer = await bound_officer(world)
    citizen = await wx.create_user("Tom", "en")
    done = await report(world, citizen, "Exposed litter")
    (case,) = await world.cases()
    assert case.number in done

    seen = await world.seen(officer)
    await world.deliver()
    shown = await wx.received(officer, seen)
    assert shown[0].msgtype == "image"  # the report's photo, uploaded and sent
    card = "\n".join(item.text or "" for item in shown if item.msgtype == "text")
    assert case.number in card and "接单" in card and "Tom" not in card

    accepted = (await wx.send_text(officer, number_of(card, "接单"))).reply or ""
    assert case.number in accepted and "处置完成" in accepted
    ask = (await wx.send_text(officer, number_of(accepted, "处置完成"))).reply or ""
    assert "照片" in ask
    assert "/skip" in ((await wx.send_image(officer)).reply or "")
    resolved = (await wx.send_text(officer, "已清理干净")).reply or ""
    assert case.number in resolved

    seen = await world.seen(citizen)
    await world.deliver()
    shown = await wx.received(citizen, seen)

    assert [item.msgtype for item in shown].count("image") == 2  # before and after
    question = "\n".join(item.text or "" for item in shown if item.msgtype == "text")
    assert "Is the problem fixed?" in question
    closed = (await wx.send_text(citizen, number_of(question, "Fixed"))).reply or ""
    assert f"Report {case.number} is closed" in closed
    (case,) = await world.cases()
    assert case.status == CaseStatus.CLOSED and case.satisfied


async def test_a_stale_number_is_refused_by_the_service(world: WeChatWorld) -> None:
    officer = await bound_officer(world)
    colleague = await bound_officer(world, "en")
    citizen = await world.wx.create_user("小明", "zh_CN")
    await report(world, citizen)
    await world.deliver()
    card = "\n".join(t for t in await world.wx.texts(officer) if "接单" in t)
    english = "\n".join(t for t in await world.wx.texts(colleague) if "Accept" in t)
    await world.wx.send_text(colleague, number_of(english, "Accept"))
    late = (await world.wx.send_text(officer, number_of(card, "接单"))).reply or ""
    (case,) = await world.cases()
    assert case.status == CaseStatus.ACCEPTED
    assert late.startswith(f"案件 {case.number} 已由") and late.endswith("接单。")  # taken by the colleague
