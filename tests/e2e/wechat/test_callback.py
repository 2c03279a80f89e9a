"""The callback over loopback, posted to by the WeChat sandbox in plaintext and in safe mode."""

from __future__ import annotations

import asyncio

from aiohttp import ClientSession
from geopy.distance import geodesic

from channels.wechat.events import Image, InboundEvent, Location, MenuClick, Other, Subscribe, Text, Unsubscribe, Voice
from channels.wechat.numbered import NumberedChoice, not_understood, parse_choice, render_msgmenu, render_numbered
from geo.crs import wgs84_to_gcj02
from models.db import Database
from sandbox.wechat import WeChatSandboxClient, WeChatSandboxServer, crypto
from services.clock import ManualClock
from services.i18n import Translator
from tests.e2e.wechat.conftest import TOKEN, CallbackProcess, FakeConversation, start_callback


async def test_a_text_is_answered_by_the_passive_reply(
    callback: CallbackProcess, wx: WeChatSandboxClient, conversation: FakeConversation
) -> None:
    user = await wx.create_user("李雷")
    result = await wx.send_text(user, "路口有垃圾 ]]> 请处理")
    assert result.outcome == "passive reply"
    assert result.reply == "echo: 路口有垃圾 ]]> 请处理"
    assert len(result.attempts) == 1
    assert await wx.texts(user) == ["echo: 路口有垃圾 ]]> 请处理"]
    [event] = conversation.events
    assert isinstance(event, Text) and event.user == user.openid and event.dedupe_key == f"msg:{result.msg_id}"


async def test_further_texts_follow_the_passive_reply_through_the_api_in_order(
    callback: CallbackProcess, wx: WeChatSandboxClient, conversation: FakeConversation
) -> None:
    conversation.answer = lambda event: ["Case #17 received.", "Grid: Jiefang Road 3", "Deadline: 18:00"]
    user = await wx.create_user("Han Meimei", language="en")
    result = await wx.send_text(user, "submit")
    assert result.reply == "Case #17 received."
    await wx.wait_for(user, "Deadline")
    received = await wx.received(user)
    assert [(item.via, item.text) for item in received] == [
        ("passive", "Case #17 received."),
        ("custom", "Grid: Jiefang Road 3"),
        ("custom", "Deadline: 18:00"),
    ]


async def test_nothing_to_say_is_answered_success(
    callback: CallbackProcess, wx: WeChatSandboxClient, conversation: FakeConversation
) -> None:
    conversation.answer = lambda event: []
    user = await wx.create_user()
    result = await wx.send_text(user, "hello")
    assert (result.outcome, result.shown) == ("success", [])


async def test_a_redelivered_message_has_one_effect(
    callback: CallbackProcess, wx: WeChatSandboxClient, conversation: FakeConversation
) -> None:
    user = await wx.create_user()
    first = await wx.send_text(user, "井盖丢了")
    again = await wx.replay(first)
    assert again.outcome == "success"
    assert len(conversation.events) == 1
    assert await wx.texts(user) == ["echo: 井盖丢了"]


async def test_a_redelivery_to_another_process_has_no_effect_either(
    callback: CallbackProcess,
    wx_server: WeChatSandboxServer,
    wx: WeChatSandboxClient,
    sqlite_database: Database,
    clock: ManualClock,
    conversation: FakeConversation,
    safe_mode: bool,
) -> None:
    user = await wx.create_user()
    first = await wx.send_text(user, "路灯不亮")
    other_conversation = FakeConversation()
    other = await start_callback(wx_server, wx, sqlite_database, clock, other_conversation, safe=safe_mode)
    try:
        again = await wx.replay(first)  # the account now posts to the second process
    finally:
        await other.stop()
    assert again.outcome == "success"
    assert (len(conversation.events), other_conversation.events) == (1, [])


async def test_a_slow_handler_gets_success_answered_and_its_texts_sent_through_the_api(
    wx_server: WeChatSandboxServer,
    wx: WeChatSandboxClient,
    sqlite_database: Database,
    clock: ManualClock,
    conversation: FakeConversation,
    safe_mode: bool,
) -> None:
    conversation.delay = 0.6
    conversation.answer = lambda event: ["Looked it up: case #3 is being handled.", "Anything else?"]
    process = await start_callback(
        wx_server, wx, sqlite_database, clock, conversation, safe=safe_mode, reply_budget=0.2
    )
    try:
        user = await wx.create_user()
        result = await wx.send_text(user, "my reports")
        assert (result.outcome, len(result.attempts), result.shown) == ("success", 1, [])
        await wx.wait_for(user, "Anything else?")
    finally:
        await process.stop()
    received = await wx.received(user)
    assert [(item.via, item.text) for item in received] == [
        ("custom", "Looked it up: case #3 is being handled."),
        ("custom", "Anything else?"),
    ]
    assert len(conversation.events) == 1


async def test_a_failing_handler_lets_wechats_next_post_try_again(
    callback: CallbackProcess, wx: WeChatSandboxClient, conversation: FakeConversation
) -> None:
    conversation.failures = 1
    user = await wx.create_user()
    first = await wx.send_text(user, "垃圾桶满了")
    assert (first.outcome, first.unavailable) == ("HTTP 500", True)
    again = await wx.replay(first)
    assert again.reply == "echo: 垃圾桶满了"
    assert len(conversation.events) == 2


async def test_each_kind_of_message_reaches_the_handler_as_its_event(
    callback: CallbackProcess, wx: WeChatSandboxClient, conversation: FakeConversation
) -> None:
    user = await wx.create_user()
    await wx.send_voice(user, recognition="人行道上停了一辆车")
    await wx.send_voice(user)
    await wx.click(user, "REPORT")
    await wx.send_video(user)
    await wx.unsubscribe(user)
    await wx.subscribe(user, scene="street7")
    voice, silent, click, video, gone, back = conversation.events
    assert isinstance(voice, Voice) and voice.recognition == "人行道上停了一辆车"
    assert isinstance(silent, Voice) and silent.recognition is None
    assert isinstance(click, MenuClick) and click.key == "REPORT"
    assert isinstance(video, Other) and video.kind == "video"
    assert isinstance(gone, Unsubscribe)
    assert isinstance(back, Subscribe) and back.scene == "street7"


async def test_a_photo_arrives_as_a_media_id_the_api_downloads(
    callback: CallbackProcess, wx: WeChatSandboxClient, conversation: FakeConversation
) -> None:
    photo = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 8
    downloaded: list[bytes] = []

    async def download(event: InboundEvent) -> list[str]:
        assert isinstance(event, Image)
        downloaded.append((await callback.api.get_media(event.media_id)).data)
        return ["Photo received."]

    conversation.answer = download
    user = await wx.create_user()
    result = await wx.send_image(user, photo)
    assert result.reply == "Photo received."
    assert downloaded == [photo]


async def test_a_shared_location_arrives_in_wgs84(
    callback: CallbackProcess, wx: WeChatSandboxClient, conversation: FakeConversation
) -> None:
    wgs = (31.2304, 121.4737)  # People's Square, Shanghai
    gcj = wgs84_to_gcj02(*wgs)
    user = await wx.create_user()
    await wx.send_location(user, *gcj, label="人民广场")
    [event] = conversation.events
    assert isinstance(event, Location) and event.label == "人民广场"
    assert geodesic((event.lat, event.lon), wgs).meters < 1.0
    assert geodesic(gcj, wgs).meters > 400  # what routing would be off by without the conversion


async def test_url_verification_echoes_echostr_only_for_our_signature(callback: CallbackProcess) -> None:
    query = {"timestamp": "1795000000", "nonce": "abc", "echostr": "5837201944"}
    async with ClientSession() as http:
        async with http.get(callback.url, params={**query, "signature": crypto.sign(TOKEN, "1795000000", "abc")}) as ok:
            assert (ok.status, await ok.text()) == (200, "5837201944")
        async with http.get(
            callback.url, params={**query, "signature": crypto.sign("guess", "1795000000", "abc")}
        ) as bad:
            assert (bad.status, await bad.text()) == (403, "wrong signature")


async def test_a_forged_post_is_refused_and_changes_nothing(
    callback: CallbackProcess, wx: WeChatSandboxClient, conversation: FakeConversation
) -> None:
    user = await wx.create_user()
    genuine = await wx.send_text(user, "first")
    [record] = [post for post in await wx.posts(user) if post["id"] == genuine.id]
    forged_xml = record["xml"].replace(str(genuine.msg_id), "999").replace("first", "forged")
    query = {"timestamp": "1795000000", "nonce": "abc", "signature": crypto.sign("guess", "1795000000", "abc")}
    async with ClientSession() as http:
        async with http.post(callback.url, params=query, data=forged_xml.encode()) as resp:
            assert resp.status == 403
        safe_query = {**query, "encrypt_type": "aes", "msg_signature": "0" * 40}
        async with http.post(callback.url, params=safe_query, data=b"<xml><Encrypt>abc</Encrypt></xml>") as resp:
            assert resp.status == 403
    assert [event.text for event in conversation.events if isinstance(event, Text)] == ["first"]
    assert await wx.texts(user) == ["echo: first"]


async def test_malformed_xml_with_a_right_signature_gets_400(
    callback: CallbackProcess, conversation: FakeConversation
) -> None:
    query = {"timestamp": "1795000000", "nonce": "abc", "signature": crypto.sign(TOKEN, "1795000000", "abc")}
    async with ClientSession() as http:
        for body in (b"<xml><MsgType>text</MsgType", b"\xff\xfe not utf-8", b""):
            async with http.post(callback.url, params=query, data=body) as resp:
                assert resp.status == 400
    assert conversation.events == []


async def test_messages_from_several_users_at_once_each_get_their_own_answer(
    callback: CallbackProcess, wx: WeChatSandboxClient, conversation: FakeConversation
) -> None:
    users = [await wx.create_user(f"user {n}") for n in range(8)]
    results = await asyncio.gather(*(wx.send_text(user, f"report {n}") for n, user in enumerate(users)))
    assert [result.reply for result in results] == [f"echo: report {n}" for n in range(8)]
    assert len(conversation.events) == 8


async def test_a_choice_is_answered_by_number_by_menu_click_or_refused_with_the_hint(
    callback: CallbackProcess, wx: WeChatSandboxClient, conversation: FakeConversation
) -> None:
    choices = [NumberedChoice("暴露垃圾", "category:0102"), NumberedChoice("非法小广告", "category:0201")]
    t = Translator("zh_CN")

    async def ask_or_read(event: InboundEvent) -> list[str]:
        assert isinstance(event, Text)
        if event.text == "随手拍":
            menu = render_msgmenu(choices, head="请选择类别")
            assert menu is not None
            await callback.api.send_menu(event.user, menu)
            return [render_numbered(choices, t, head="请选择类别：")]
        token = parse_choice(event.text, choices, menu_id=event.menu_id)
        return [f"已选择 {token}"] if token else [not_understood(len(choices), t)]

    conversation.answer = ask_or_read
    user = await wx.create_user()
    asked = await wx.send_text(user, "随手拍")
    assert asked.reply == "请选择类别：\n1. 暴露垃圾\n2. 非法小广告\n请回复 1 到 2 之间的数字，或选项文字。"
    menu = await wx.wait_for(user, lambda item: item.msgtype == "msgmenu")
    assert menu.menu_items == [("category:0102", "暴露垃圾"), ("category:0201", "非法小广告")]
    assert (await wx.choose(user, menu, "非法小广告")).reply == "已选择 category:0201"
    assert (await wx.send_text(user, "１")).reply == "已选择 category:0102"
    assert (
        await wx.send_text(user, "随便")
    ).reply == "抱歉，这不是可选的选项。\n请回复 1 到 2 之间的数字，或选项文字。"
