"""The demo's WeChat: the Official Account in the sandbox, the bot's WeChat channel answering it, and the page's
helpers (a point clicked on the map, as WeChat's map reports it).

Production path again: ``build_wechat()`` serves the callback on its own port and registers the outbox sender;
the sandbox beside the Telegram one plays WeChat's servers and posts the WeChat persona's messages to it.
"""

from __future__ import annotations

from collections.abc import Iterable

from aiohttp import web

from bot.demo_people import Person
from channels.wechat.bootstrap import WeChatChannel, build_wechat
from channels.wechat.settings import WeChatSettings
from geo.crs import wgs84_to_gcj02
from sandbox.server import SandboxServer
from sandbox.wechat import Account
from services.clock import OffsetClock
from services.context import Services

APP_ID = "wxc1tyb0tdemo0001"
APP_SECRET = "citybot-offline-demo-secret"
TOKEN = "citybot-demo-token"
ORIGINAL_ID = "gh_citybotdemo01"
#: The account's name, as the WeChat chat header shows it.
ACCOUNT_NAME = "城市随手拍"


def populate(sandbox: SandboxServer, clock: OffsetClock, people: Iterable[Person]) -> None:
    """The account's followers; WeChat's time follows the demo clock (the 48-hour window moves with it)."""
    state = sandbox.wechat
    setattr(state.clock, "now", clock.now)  # noqa: B010
    for person in people:
        if person.openid is not None:
            state.add_user(person.name, "en" if person.language == "en" else "zh_CN", person.openid)


async def start_wechat(services: Services, sandbox: SandboxServer, host: str) -> WeChatChannel:
    """The bot's WeChat channel over ``services``, its callback served, the sandbox's account posting to it."""
    settings = WeChatSettings(
        app_id=APP_ID, app_secret=APP_SECRET, token=TOKEN, api_base=sandbox.url, listen=host, msgmenu=True
    )
    channel = build_wechat(services, settings)
    url = await channel.start(host, 0)
    sandbox.wechat.account = Account(
        app_id=APP_ID, app_secret=APP_SECRET, token=TOKEN, callback_url=url, original_id=ORIGINAL_ID
    )
    return channel


async def gcj02(request: web.Request) -> web.Response:
    """``?lat&lon`` (WGS-84, the map's) as WeChat's map gives the spot: GCJ-02."""
    try:
        lat, lon = float(request.query["lat"]), float(request.query["lon"])
    except (KeyError, ValueError):
        return web.json_response({"ok": False, "description": "lat and lon are required numbers"}, status=400)
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return web.json_response({"ok": False, "description": "lat or lon out of range"}, status=400)
    shifted = wgs84_to_gcj02(lat, lon)
    return web.json_response({"ok": True, "result": {"lat": round(shifted[0], 6), "lon": round(shifted[1], 6)}})
