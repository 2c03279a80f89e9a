"""The API client against the sandbox: one access token, refreshed once when refused, and WeChat's sending rules."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from aiohttp import web

from channels.wechat.api import WeChatApi
from channels.wechat.errors import (
    InvalidCredential,
    MediaNotFound,
    OutsideWindow,
    TooManyMessages,
    UserUnsubscribed,
    WeChatApiError,
    WeChatUnavailable,
)
from channels.wechat.settings import WeChatSettings
from sandbox.wechat import WeChatSandboxClient, WeChatSandboxServer, WxUser
from services.clock import ManualClock
from tests.e2e.wechat.conftest import APP_ID, APP_SECRET, TOKEN, channel_settings


@pytest.fixture
async def api(wx_server: WeChatSandboxServer, wx: WeChatSandboxClient, clock: ManualClock) -> AsyncIterator[WeChatApi]:
    """The client for the sandbox account."""
    await wx.configure_account(app_id=APP_ID, app_secret=APP_SECRET, token=TOKEN)
    async with WeChatApi(channel_settings(wx_server, safe=False), clock) as client:
        yield client


async def a_user_who_just_wrote(wx: WeChatSandboxClient) -> WxUser:
    """A follower whose 48-hour window is open (the account has no callback: their message goes nowhere)."""
    user = await wx.create_user("王芳")
    assert (await wx.send_text(user, "你好")).outcome == "no callback"
    return user


async def test_the_token_is_fetched_once_for_many_messages(api: WeChatApi, wx: WeChatSandboxClient) -> None:
    user = await a_user_who_just_wrote(wx)
    for n in range(5):
        await api.send_text(user.openid, f"message {n}")
    assert await wx.token_fetches() == 1
    assert await wx.texts(user) == [f"message {n}" for n in range(5)]


async def test_concurrent_first_calls_share_one_token_fetch(api: WeChatApi, wx: WeChatSandboxClient) -> None:
    users = [await a_user_who_just_wrote(wx) for _ in range(6)]
    await asyncio.gather(*(api.send_text(user.openid, "通知") for user in users))
    assert await wx.token_fetches() == 1


async def test_an_invalidated_token_is_refreshed_once_and_the_message_sent_once(
    api: WeChatApi, wx: WeChatSandboxClient
) -> None:
    user = await a_user_who_just_wrote(wx)
    await api.send_text(user.openid, "before")
    await wx.invalidate_tokens()  # 40001 from now on for the cached token
    await api.send_text(user.openid, "after")
    assert await wx.token_fetches() == 2
    assert await wx.texts(user) == ["before", "after"]


async def test_a_token_wechat_says_expired_is_refreshed_once(api: WeChatApi, wx: WeChatSandboxClient) -> None:
    user = await a_user_who_just_wrote(wx)
    await api.send_text(user.openid, "before")
    # WeChat's clock runs ahead of ours: it calls the token expired (42001) while we still trust it.
    await wx.advance_clock(timedelta(hours=2, minutes=1))
    await wx.send_text(user, "still here")  # keeps the window open
    await api.send_text(user.openid, "after")
    assert await wx.token_fetches() == 2
    assert await wx.texts(user) == ["before", "after"]


async def test_the_token_is_renewed_shortly_before_it_expires(
    api: WeChatApi, wx: WeChatSandboxClient, clock: ManualClock
) -> None:
    user = await a_user_who_just_wrote(wx)
    await api.send_text(user.openid, "one")
    clock.advance(timedelta(seconds=7200 - 6 * 60))
    await api.send_text(user.openid, "two")
    assert await wx.token_fetches() == 1
    clock.advance(timedelta(minutes=2))  # within five minutes of expiry: renewed before use
    await api.send_text(user.openid, "three")
    assert await wx.token_fetches() == 2


async def test_a_token_refused_again_after_a_refresh_is_an_error_not_a_loop(clock: ManualClock) -> None:
    fetches, sends = [], []

    async def token(request: web.Request) -> web.Response:
        fetches.append(1)
        return web.json_response({"access_token": f"t{len(fetches)}", "expires_in": 7200})

    async def send(request: web.Request) -> web.Response:
        sends.append(request.query["access_token"])
        return web.json_response({"errcode": 40001, "errmsg": "invalid credential"})

    app = web.Application()
    app.router.add_get("/cgi-bin/token", token)
    app.router.add_post("/cgi-bin/message/custom/send", send)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    base = f"http://127.0.0.1:{runner.addresses[0][1]}"
    settings = WeChatSettings(app_id=APP_ID, app_secret=APP_SECRET, token=TOKEN, api_base=base)
    try:
        async with WeChatApi(settings, clock) as api:
            with pytest.raises(InvalidCredential):
                await api.send_text("oUser", "hello")
    finally:
        await runner.cleanup()
    assert (len(fetches), sends) == (2, ["t1", "t2"])


async def test_a_wrong_secret_is_an_invalid_credential(
    wx_server: WeChatSandboxServer, wx: WeChatSandboxClient, clock: ManualClock
) -> None:
    await wx.configure_account(app_id=APP_ID, app_secret="the-real-secret", token=TOKEN)
    async with WeChatApi(channel_settings(wx_server, safe=False), clock) as api:
        with pytest.raises(InvalidCredential, match="40125"):
            await api.send_text("oUser", "hello")


async def test_outside_the_48_hour_window_only_a_template_message_gets_through(
    api: WeChatApi, wx: WeChatSandboxClient
) -> None:
    user = await a_user_who_just_wrote(wx)
    await wx.advance_clock(timedelta(hours=47, minutes=59))
    await api.send_text(user.openid, "Case #5 is resolved.")
    await wx.advance_clock(timedelta(minutes=2))
    with pytest.raises(OutsideWindow) as refused:
        await api.send_text(user.openid, "Was it fixed?")
    assert refused.value.errcode == 45015
    msg_id = await api.send_template(user.openid, "TPL_CASE_STATUS", {"case": "#5", "status": "已办结"}, url=None)
    assert msg_id > 0
    received = await wx.received(user)
    assert [(item.via, item.text) for item in received] == [
        ("custom", "Case #5 is resolved."),
        ("template", "case: #5\nstatus: 已办结"),
    ]


async def test_the_windows_message_allowance_runs_out_until_the_user_writes(
    api: WeChatApi, wx: WeChatSandboxClient
) -> None:
    await wx.set_limits(window_cap=2)
    user = await a_user_who_just_wrote(wx)
    await api.send_text(user.openid, "1")
    await api.send_text(user.openid, "2")
    with pytest.raises(TooManyMessages):
        await api.send_text(user.openid, "3")
    await wx.send_text(user, "ok")
    await api.send_text(user.openid, "3")
    assert await wx.texts(user) == ["1", "2", "3"]


async def test_an_unsubscribed_user_gets_nothing(api: WeChatApi, wx: WeChatSandboxClient) -> None:
    user = await a_user_who_just_wrote(wx)
    await wx.unsubscribe(user)
    with pytest.raises(UserUnsubscribed):
        await api.send_text(user.openid, "hello?")
    with pytest.raises(UserUnsubscribed):
        await api.send_template(user.openid, "TPL", {"x": "y"})
    assert await wx.received(user) == []


async def test_an_uploaded_photo_is_sent_as_an_image(api: WeChatApi, wx: WeChatSandboxClient) -> None:
    user = await a_user_who_just_wrote(wx)
    after_photo = b"\xff\xd8\xff\xe0after" + bytes(500)
    media_id = await api.upload_image(after_photo, "after.jpg")
    await api.send_image(user.openid, media_id)
    [item] = await wx.received(user)
    assert (item.via, item.msgtype, item.media_id) == ("custom", "image", media_id)
    assert await wx.media(media_id) == after_photo


async def test_an_image_of_10_mb_is_taken_and_one_byte_more_is_refused_with_40006(
    api: WeChatApi, wx: WeChatSandboxClient
) -> None:
    limit = 10 * 1024 * 1024
    media_id = await api.upload_image(b"\xff\xd8" + bytes(limit - 2), "big.jpg")
    assert len(await wx.media(media_id)) == limit
    with pytest.raises(WeChatApiError) as refused:
        await api.upload_image(b"\xff\xd8" + bytes(limit - 1), "too_big.jpg")
    assert (refused.value.errcode, refused.value.errmsg) == (40006, "invalid meida size")


async def test_temporary_media_expire_after_three_days(api: WeChatApi, wx: WeChatSandboxClient) -> None:
    media_id = await api.upload_image(b"\xff\xd8photo")
    assert (await api.get_media(media_id)).data == b"\xff\xd8photo"
    await wx.advance_clock(timedelta(days=3))
    await wx.invalidate_tokens()  # the token has expired as well by then
    with pytest.raises(MediaNotFound):
        await api.get_media(media_id)


async def test_an_unreachable_wechat_is_unavailable_not_a_crash(clock: ManualClock) -> None:
    settings = WeChatSettings(app_id=APP_ID, app_secret=APP_SECRET, token=TOKEN, api_base="http://127.0.0.1:9")
    async with WeChatApi(settings, clock) as api:
        with pytest.raises(WeChatUnavailable):
            await api.send_text("oUser", "hello")
