"""The running demo: its web chat API (personas, the grid map, the clock) over the real bot and sandbox."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
import pytest
import shapely
from shapely import Polygon

from bot.demo import Demo, fresh_data_dir, start_demo, stop_demo
from bot.demo_jobs import step_delta
from bot.demo_map import Projection
from bot.demo_people import CHANNEL, WECHAT_OPENID, persona
from channels.telegram import CHANNEL as TELEGRAM
from geo.crs import gcj02_to_wgs84
from models.uow import UnitOfWork
from sandbox.client import SandboxClient
from sandbox.wechat import WeChatSandboxClient, WxUser
from services import routing
from services.summary.weeks import IsoWeek
from services.users import user_by_identity

BEIJING = ZoneInfo("Asia/Shanghai")


@pytest.fixture
async def demo(tmp_path: Path) -> AsyncIterator[Demo]:
    """The whole demo on a free port (scheduled jobs off: the clock control runs them)."""
    running = await start_demo(tmp_path / "demo", port=0, jobs=False)
    try:
        yield running
    finally:
        await stop_demo(running)


async def _get(demo: Demo, path: str) -> Any:
    async with aiohttp.ClientSession() as http, http.get(demo.url + path) as response:
        assert response.status == 200, await response.text()
        return (
            (await response.json())["result"] if response.content_type == "application/json" else await response.text()
        )


async def _post(demo: Demo, path: str, body: dict[str, Any]) -> tuple[int, Any]:
    async with aiohttp.ClientSession() as http, http.post(demo.url + path, json=body) as response:
        return response.status, await response.json()


async def test_the_page_and_its_personas_in_both_languages(demo: Demo) -> None:
    page = await _get(demo, "/")
    zh = await _get(demo, "/demo/api/bootstrap?lang=zh")
    en = await _get(demo, "/demo/api/bootstrap?lang=en")

    assert '<script type="module" src="/web/js/app.js">' in page
    kinds = {p["key"]: (p["kind"], p["language"][:2]) for p in zh["personas"]}
    assert kinds == {
        "citizen": ("citizen", "zh"), "volunteer": ("volunteer", "en"), "wechat": ("citizen", "zh"),
        "officer": ("officer", "zh"), "officer2": ("officer", "en"), "supervisor": ("supervisor", "zh"),
        "channel": ("channel", "zh"),
    }  # fmt: skip
    assert (zh["ui"]["role_officer"], en["ui"]["role_officer"]) == ("网格员", "Grid officer")
    assert (zh["ui"]["next_monday"], en["ui"]["next_monday"]) == ("到下周一 09:00", "Next Monday 09:00")
    officer = next(p for p in zh["personas"] if p["key"] == "officer")
    assert officer["units"] == ["豆瓣社区", "东四六条社区"]
    assert "report" in {c["command"] for c in officer["commands"]}
    assert zh["bot"]["username"] == "citybot_demo_bot"
    async with aiohttp.ClientSession() as http, http.get(demo.url + zh["samples"][0]["url"]) as response:
        assert (await response.read())[:2] == b"\xff\xd8"  # the picker's sample photos are JPEGs


def _unit_polygon(svg: str, unit_id: str) -> Polygon:
    path = re.search(rf'<path class="unit" d="([^"]+)"[^>]*data-id="{unit_id}"', svg)
    assert path is not None, f"{unit_id} is not on the map"
    numbers = [float(n) for n in re.findall(r"-?\d+(?:\.\d+)?", path.group(1))]
    return Polygon(list(zip(numbers[::2], numbers[1::2], strict=True)))


async def test_a_click_on_the_map_is_a_position_inside_the_unit_drawn_there(demo: Demo) -> None:
    svg = await _get(demo, "/demo/api/map")
    attributes = dict(re.findall(r'data-(west|north|px-per-lon|px-per-lat)="([^"]+)"', svg))
    projection = Projection(*(float(attributes[k]) for k in ("west", "north", "px-per-lon", "px-per-lat")))

    assert svg.count('<path class="unit"') == 81
    assert 'data-name="东四街道-豆瓣社区-03网格"' in svg and ">东四六条社区</text>" in svg
    # What the page does on a click: the SVG point back to WGS-84, which routes to the unit under the cursor.
    inside = shapely.point_on_surface(_unit_polygon(svg, "DC-DS-DB-03"))
    lon, lat = projection.lonlat(inside.x, inside.y)
    async with UnitOfWork(demo.services.db) as uow:
        decision = await routing.route(demo.services, uow.session, lat, lon, "0201")
    assert decision.unit_id == "DC-DS-DB-03"


async def test_clock_steps_move_time_and_deliver_what_falls_due(demo: Demo) -> None:
    before = demo.clock.now()

    status, _ = await _post(demo, "/demo/api/clock", {"step": "hour"})
    assert status == 200
    assert timedelta(minutes=59) < demo.clock.now() - before < timedelta(minutes=61)
    status, monday = await _post(demo, "/demo/api/clock", {"step": "monday"})
    now_local = demo.clock.now().astimezone(BEIJING)
    bad_status, _ = await _post(demo, "/demo/api/clock", {"step": "yesterday"})

    assert status == 200 and bad_status == 400
    assert (now_local.isoweekday(), now_local.hour, now_local.minute) == (1, 9, 0)
    assert monday["result"]["clock"]["local"] == now_local.strftime("%Y-%m-%d %H:%M")
    week = str(IsoWeek.last_completed(demo.clock.now(), BEIJING))
    assert monday["result"]["jobs"]["summary_week"] == week
    assert monday["result"]["jobs"]["errors"] == []
    async with SandboxClient(demo.url, bot=demo.application.bot.token) as client:
        chart = await client.wait_for_message(CHANNEL.chat_id, lambda m: week in m.text and bool(m.raw.get("photo")),
                                              timeout=20)  # fmt: skip
    assert "城市管理周通报" in chart.text


async def test_a_persona_switches_language_for_the_bot(demo: Demo) -> None:
    emma = persona("volunteer")

    status, answer = await _post(demo, "/demo/api/personas/volunteer/language", {"language": "zh"})

    assert status == 200 and answer["result"]["language"] == "zh-hans"
    assert demo.sandbox.state.users[emma.telegram_id].language_code == "zh-hans"
    async with UnitOfWork(demo.services.db) as uow:
        user = await user_by_identity(uow.session, TELEGRAM, emma.telegram_id)
        assert user is not None and user.locale == "zh_CN"


def test_next_monday_is_the_coming_one_at_nine() -> None:
    class _Tz:
        tz = BEIJING

    sunday_night = datetime(2026, 11, 22, 23, 0, tzinfo=BEIJING).astimezone(UTC)
    monday_early = datetime(2026, 11, 23, 8, 0, tzinfo=BEIJING).astimezone(UTC)
    monday_late = datetime(2026, 11, 23, 10, 0, tzinfo=BEIJING).astimezone(UTC)

    def landing(start: datetime) -> datetime:
        return (start + step_delta("monday", start, _Tz())).astimezone(BEIJING)  # type: ignore[arg-type]

    assert landing(sunday_night).replace(second=0) == datetime(2026, 11, 23, 9, 0, tzinfo=BEIJING)
    assert landing(monday_early).replace(second=0) == datetime(2026, 11, 23, 9, 0, tzinfo=BEIJING)
    assert landing(monday_late).replace(second=0) == datetime(2026, 11, 30, 9, 0, tzinfo=BEIJING)


def test_the_demo_folder_is_emptied_but_never_someone_elses(tmp_path: Path) -> None:
    mine = fresh_data_dir(tmp_path / "demo")
    (mine / "old.db").write_text("x")
    fresh_data_dir(mine)
    other = tmp_path / "notes"
    other.mkdir()
    (other / "thesis.txt").write_text("keep me")

    assert not (mine / "old.db").exists()
    with pytest.raises(RuntimeError, match="not a demo folder"):
        fresh_data_dir(other)
    assert (other / "thesis.txt").read_text() == "keep me"


async def test_the_wechat_persona_writes_from_the_official_account(demo: Demo) -> None:
    zh = await _get(demo, "/demo/api/bootstrap?lang=zh")
    liu = next(p for p in zh["personas"] if p["key"] == "wechat")
    assert (liu["channel"], liu["chat_id"], liu["account"]) == ("wechat", WECHAT_OPENID, "城市随手拍")
    assert liu["commands"] == [] and [item["key"] for item in liu["menu"]] == ["REPORT", "MY", "HELP"]
    assert {p["channel"] for p in zh["personas"] if p["key"] != "wechat" and p["kind"] != "channel"} == {"telegram"}

    # Her message goes through the sandbox's WeChat to the bot's callback, and the account answers her.
    async with WeChatSandboxClient(demo.url) as wx:
        user = WxUser(WECHAT_OPENID, "刘阿姨", "zh_CN")
        post = await wx.send_text(user, "/help")
        chat = await wx.conversation(user)
    assert post.outcome in ("passive reply", "success")
    assert chat[0]["from_user"] and chat[0]["text"] == "/help"
    assert any("/my" in (entry.get("text") or "") for entry in chat[1:])
    # Known to the bot as a WeChat user, never as a Telegram one.
    async with UnitOfWork(demo.services.db) as uow:
        assert await user_by_identity(uow.session, "wechat", WECHAT_OPENID) is not None
        assert await user_by_identity(uow.session, TELEGRAM, persona("wechat").telegram_id) is None


async def test_a_map_point_is_shifted_as_wechats_map_reports_it(demo: Demo) -> None:
    shifted = await _get(demo, "/demo/api/wechat/gcj02?lat=39.93815&lon=116.41479")
    assert 0.0005 < shifted["lat"] - 39.93815 < 0.003 and 0.003 < shifted["lon"] - 116.41479 < 0.008
    assert gcj02_to_wgs84(shifted["lat"], shifted["lon"]) == pytest.approx((39.93815, 116.41479), abs=1e-5)
    async with aiohttp.ClientSession() as http:
        for query in ("lat=abc&lon=1", "lat=1", "lat=95&lon=1"):
            async with http.get(f"{demo.url}/demo/api/wechat/gcj02?{query}") as response:
                body = await response.json()
                assert response.status == 400 and body["ok"] is False and "lat" in body["description"]


async def test_the_wechat_persona_has_no_telegram_language_switch(demo: Demo) -> None:
    status, answer = await _post(demo, "/demo/api/personas/wechat/language", {"language": "en"})
    assert status == 404 and answer["ok"] is False
