"""`citybot sandbox` serves the offline WeChat beside the Telegram Bot API, on the same port."""

from __future__ import annotations

import aiohttp

from sandbox.server import SandboxServer
from sandbox.wechat import WeChatSandboxClient


async def test_one_sandbox_serves_telegram_and_wechat() -> None:
    async with SandboxServer() as server, WeChatSandboxClient(server.url) as wx:
        user = await wx.create_user("小明", "zh_CN")
        assert server.wechat.users[user.openid].nickname == "小明"
        account = server.wechat.account
        async with aiohttp.ClientSession() as http:
            query = {"grant_type": "client_credential", "appid": account.app_id, "secret": account.app_secret}
            async with http.get(f"{server.url}/cgi-bin/token", params=query) as response:
                token = await response.json()
            async with http.get(f"{server.url}/cgi-bin/token", params={**query, "secret": "wrong"}) as response:
                refused = await response.json()
            async with http.get(f"{server.base_url}123:abc/getMe") as response:
                telegram_status = response.status
    assert token["expires_in"] == 7200 and token["access_token"]
    assert refused["errcode"] != 0 and "access_token" not in refused
    assert telegram_status == 200  # the Bot API answers beside it
