"""The WeChat sandbox itself: how it posts, retries, encrypts and shows answers, checked with a bare callback."""

from __future__ import annotations

import asyncio
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator, Awaitable, Callable

import aiohttp
import pytest
from aiohttp import web
from wechatpy.crypto import WeChatCrypto

from sandbox.wechat import WeChatSandboxClient, WeChatSandboxError, WeChatSandboxServer
from sandbox.wechat.state import UNAVAILABLE
from tests.e2e.wechat.conftest import AES_KEY, APP_ID, APP_SECRET, TOKEN

Respond = Callable[[web.Request, bytes], Awaitable[web.Response]]


class BareCallback:
    """A callback that records what it is posted and answers with ``respond``."""

    def __init__(self, respond: Respond) -> None:
        self.respond = respond
        self.posts: list[tuple[str, bytes]] = []
        app = web.Application()
        app.router.add_post("/wechat", self._post)
        self._runner = web.AppRunner(app, shutdown_timeout=0.5)
        self.url = ""

    async def _post(self, request: web.Request) -> web.Response:
        body = await request.read()
        self.posts.append((request.query_string, body))
        return await self.respond(request, body)

    async def start(self) -> None:
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.url = f"http://127.0.0.1:{self._runner.addresses[0][1]}/wechat"

    async def stop(self) -> None:
        await self._runner.cleanup()


@pytest.fixture
async def bare(wx: WeChatSandboxClient) -> AsyncIterator[BareCallback]:
    """A bare callback the account posts to; tests set its ``respond``."""

    async def success(request: web.Request, body: bytes) -> web.Response:
        return web.Response(text="success")

    callback = BareCallback(success)
    await callback.start()
    await wx.configure_account(app_id=APP_ID, app_secret=APP_SECRET, token=TOKEN, callback_url=callback.url)
    await wx.set_limits(reply_timeout=0.3)
    try:
        yield callback
    finally:
        await callback.stop()


async def test_a_post_without_an_answer_is_tried_three_times_with_the_same_body(
    bare: BareCallback, wx: WeChatSandboxClient
) -> None:
    async def never(request: web.Request, body: bytes) -> web.Response:
        await asyncio.sleep(2)
        return web.Response(text="success")

    bare.respond = never
    user = await wx.create_user()
    result = await wx.send_text(user, "hello")
    assert (result.outcome, len(result.attempts), result.unavailable) == ("no answer", 3, True)
    assert len(bare.posts) == 3 and len(set(bare.posts)) == 1
    assert await wx.texts(user) == [UNAVAILABLE]


async def test_retries_stop_at_the_first_answer(bare: BareCallback, wx: WeChatSandboxClient) -> None:
    async def slow_once(request: web.Request, body: bytes) -> web.Response:
        if len(bare.posts) == 1:
            await asyncio.sleep(1)
        return web.Response(text="success")

    bare.respond = slow_once
    user = await wx.create_user()
    result = await wx.send_text(user, "hello")
    assert (result.outcome, [attempt["status"] for attempt in result.attempts]) == ("success", [None, 200])
    assert await wx.texts(user) == []


async def test_an_answer_that_is_not_a_reply_shows_the_unavailable_notice(
    bare: BareCallback, wx: WeChatSandboxClient
) -> None:
    async def chatter(request: web.Request, body: bytes) -> web.Response:
        return web.Response(text="OK, got it")

    bare.respond = chatter
    user = await wx.create_user()
    result = await wx.send_text(user, "hello")
    assert result.unavailable and result.outcome.startswith("bad reply")


async def test_safe_mode_posts_encrypted_bodies_that_wechatpy_opens_and_shows_its_encrypted_reply(
    bare: BareCallback, wx: WeChatSandboxClient
) -> None:
    await wx.configure_account(aes_key=AES_KEY)
    crypto = WeChatCrypto(TOKEN, AES_KEY, APP_ID)
    opened: list[str] = []

    async def encrypted(request: web.Request, body: bytes) -> web.Response:
        query = request.query
        xml = crypto.decrypt_message(body, query["msg_signature"], query["timestamp"], query["nonce"])
        opened.append(xml)
        message = ET.fromstring(xml)
        reply = (
            f"<xml><ToUserName><![CDATA[{message.findtext('FromUserName')}]]></ToUserName>"
            f"<FromUserName><![CDATA[{message.findtext('ToUserName')}]]></FromUserName><CreateTime>1</CreateTime>"
            "<MsgType><![CDATA[text]]></MsgType><Content><![CDATA[已收到]]></Content></xml>"
        )
        return web.Response(text=crypto.encrypt_message(reply, "nonce1"))

    bare.respond = encrypted
    user = await wx.create_user()
    result = await wx.send_text(user, "井盖松动")
    assert result.reply == "已收到"
    [(query, body)] = bare.posts
    assert "encrypt_type=aes" in query and "msg_signature=" in query
    assert "井盖松动".encode() not in body and b"<Encrypt>" in body
    assert ET.fromstring(opened[0]).findtext("Content") == "井盖松动"


async def test_a_plaintext_reply_to_an_encrypted_post_is_not_shown(bare: BareCallback, wx: WeChatSandboxClient) -> None:
    await wx.configure_account(aes_key=AES_KEY)
    user = await wx.create_user()

    async def plaintext(request: web.Request, body: bytes) -> web.Response:
        reply = (
            f"<xml><ToUserName>{user.openid}</ToUserName><FromUserName>gh_citybot00001</FromUserName>"
            "<CreateTime>1</CreateTime><MsgType>text</MsgType><Content>hi</Content></xml>"
        )
        return web.Response(text=reply)

    bare.respond = plaintext
    result = await wx.send_text(user, "hello")
    assert result.unavailable


async def test_api_messages_sent_while_a_post_awaits_its_answer_are_shown_after_that_answer(
    bare: BareCallback, wx: WeChatSandboxClient, wx_server: WeChatSandboxServer
) -> None:
    user = await wx.create_user()

    async def send_first_then_reply(request: web.Request, body: bytes) -> web.Response:
        async with aiohttp.ClientSession() as http:
            params = {"grant_type": "client_credential", "appid": APP_ID, "secret": APP_SECRET}
            async with http.get(f"{wx_server.url}/cgi-bin/token", params=params) as resp:
                token = (await resp.json())["access_token"]
            payload = {"touser": user.openid, "msgtype": "text", "text": {"content": "second"}}
            async with http.post(
                f"{wx_server.url}/cgi-bin/message/custom/send", params={"access_token": token}, json=payload
            ) as resp:
                assert (await resp.json())["errcode"] == 0
        reply = (
            f"<xml><ToUserName>{user.openid}</ToUserName><FromUserName>gh_citybot00001</FromUserName>"
            "<CreateTime>1</CreateTime><MsgType>text</MsgType><Content>first</Content></xml>"
        )
        return web.Response(text=reply)

    bare.respond = send_first_then_reply
    await wx.send_text(user, "hello")
    assert await wx.texts(user) == ["first", "second"]


async def test_the_control_api_refuses_what_cannot_happen(bare: BareCallback, wx: WeChatSandboxClient) -> None:
    user = await wx.create_user()
    await wx.unsubscribe(user)
    with pytest.raises(WeChatSandboxError, match="does not follow"):
        await wx.send_text(user, "hello")
    with pytest.raises(WeChatSandboxError) as unknown:
        await wx._act(user, "dance")
    assert unknown.value.status == 404
    with pytest.raises(WeChatSandboxError) as nobody:
        await wx.received(type(user)("o-nobody", "x", "en"))
    assert nobody.value.status == 404


async def test_the_conversation_shows_both_sides_in_order(bare: BareCallback, wx: WeChatSandboxClient) -> None:
    async def reply(request: web.Request, body: bytes) -> web.Response:
        root = ET.fromstring(body)
        said = root.findtext("Content") or root.findtext("MsgType")
        xml = (
            f"<xml><ToUserName>{root.findtext('FromUserName')}</ToUserName>"
            f"<FromUserName>{root.findtext('ToUserName')}</FromUserName><CreateTime>1</CreateTime>"
            f"<MsgType>text</MsgType><Content>got {said}</Content></xml>"
        )
        return web.Response(text=xml)

    bare.respond = reply
    user = await wx.create_user("小明", "zh_CN")
    await wx.send_text(user, "你好")
    await wx.send_location(user, 39.9, 116.4, label="东四")
    chat = await wx.conversation(user)
    assert [(e.get("from_user", False), e["msgtype"], e.get("text")) for e in chat] == [
        (True, "text", "你好"),
        (False, "text", "got 你好"),
        (True, "location", None),
        (False, "text", "got location"),
    ]
    assert (chat[2]["lat"], chat[2]["lon"], chat[2]["label"]) == (39.9, 116.4, "东四")
    assert await wx.conversation(user, after=chat[1]["seq"]) == chat[2:]
    assert [r.text for r in await wx.received(user)] == ["got 你好", "got location"]  # received stays the bot's
