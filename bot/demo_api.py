"""The web chat's own API beside the sandbox's: personas, the grid map, open-case pins, the clock, assets."""

from __future__ import annotations

import importlib.util
import ipaddress
import json
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web
from yarl import URL

from bot.demo_district import DISTRICT_ID, DISTRICT_NAME, STREETS
from bot.demo_jobs import STEPS, advance, run_due_jobs
from bot.demo_map import map_svg, open_case_pins
from bot.demo_people import CHANNEL, PERSONAS, Person
from bot.demo_ui import ui_strings
from bot.demo_wechat import ACCOUNT_NAME, gcj02
from channels.telegram import CHANNEL as TELEGRAM
from models.status import OPEN_STATUSES, CaseStatus
from models.users import Role
from sandbox.state import SandboxState
from services.clock import OffsetClock
from services.context import Services
from services.conversation.commands import EVERYONE, commands_for
from services.conversation.supervisor import DECISIONS
from services.i18n import Translator, locale_for
from services.notify import status_label
from services.users_admin import UserRef, choose_language

PREFIX = "/demo/api"
ASSETS = Path(__file__).parent / "demo_assets"
SAMPLES = ("posters", "litter", "bikes", "debris", "clean_wall", "clean_street")


@dataclass
class DemoContext:
    """What the demo routes act on; filled in by the composition root before the first request."""

    services: Services
    clock: OffsetClock
    state: SandboxState
    bot_token: str
    flush: Callable[[], Coroutine[Any, Any, int]] | None = None
    map_cache: dict[str, str] = field(default_factory=dict)


DEMO_KEY = web.AppKey("demo", DemoContext)


def _ok(result: Any) -> web.Response:
    return web.json_response({"ok": True, "result": result}, dumps=lambda data: json.dumps(data, ensure_ascii=False))


def _unit_names() -> dict[str, str]:
    names = {street.id: street.name for street in STREETS}
    names[DISTRICT_ID] = DISTRICT_NAME
    names.update({c.id: c.name for street in STREETS for c in street.communities})
    return names


_ROLES = {"citizen": Role.CITIZEN, "volunteer": Role.CITIZEN, "officer": Role.OFFICER, "supervisor": Role.SUPERVISOR}


#: Commands that need a case number after them: their shortcut fills the composer instead of sending.
_WITH_ARGUMENT = frozenset({"case", *DECISIONS})


def _commands(person: Person, language: str) -> list[dict[str, Any]]:
    """What /help lists for the persona's role, in their language (the web chat shows them as shortcuts): the
    commands of the role itself first (an officer's /tasks and /case, a supervisor's /queue ...), then everyone's."""
    t = Translator(locale_for(language))
    found = sorted(commands_for(_ROLES[person.kind]), key=lambda c: c.roles == EVERYONE)
    return [
        {
            "command": c.name,
            "description": t(c.description),
            "role": c.roles != EVERYONE,
            "argument": c.name in _WITH_ARGUMENT,
        }
        for c in found
    ]


#: The Official Account's menu (its CLICK keys are what the bot's WeChat channel answers), by UI label.
WECHAT_MENU = (("REPORT", "wx_menu_report"), ("MY", "wx_menu_my"), ("HELP", "wx_menu_help"))


def _persona_json(person: Person, state: SandboxState) -> dict[str, Any]:
    if person.openid is not None:
        return {
            "key": person.key,
            "chat_id": person.openid,
            "channel": "wechat",
            "account": ACCOUNT_NAME,
            "name": person.name,
            "kind": person.kind,
            "language": person.language,
            "color": person.color,
            "units": [],
            "commands": [],
            "menu": [{"key": key, "label": label} for key, label in WECHAT_MENU],
        }
    account = state.users.get(person.telegram_id)
    names = _unit_names()
    language = (account.language_code if account else None) or person.language
    return {
        "key": person.key,
        "chat_id": person.telegram_id,
        "channel": "telegram",
        "name": person.name,
        "kind": person.kind,
        "language": language,
        "color": person.color,
        "units": [names.get(unit, unit) for unit in person.units],
        "commands": _commands(person, language),
    }


async def bootstrap(request: web.Request) -> web.Response:
    """Everything the page needs to start: labels, personas, the channel, samples and the clock."""
    demo = request.app[DEMO_KEY]
    locale = locale_for(request.query.get("lang", "zh"))
    personas = [_persona_json(person, demo.state) for person in PERSONAS]
    personas.append({"key": CHANNEL.key, "chat_id": CHANNEL.chat_id, "name": CHANNEL.title, "kind": "channel",
                     "language": CHANNEL.language, "color": CHANNEL.color, "units": []})  # fmt: skip
    bot = demo.state.bots[demo.bot_token]
    t = Translator(locale)
    return _ok({
        "locale": locale,
        "ui": ui_strings(locale),
        "timezone": demo.services.tz.key,
        "channel_username": CHANNEL.username,
        "statuses": {s.value: status_label(s, t) for s in CaseStatus if s in OPEN_STATUSES},
        "bot": {"id": bot.id, "username": bot.username, "name": bot.first_name},
        "personas": personas,
        "samples": [{"name": name, "url": f"/demo/assets/{name}.jpg"} for name in SAMPLES],
        "clock": _clock_json(demo),
        "events_after": demo.state.events.last_id,
    })  # fmt: skip


def _clock_json(demo: DemoContext) -> dict[str, Any]:
    now = demo.clock.now()
    local = now.astimezone(demo.services.tz)
    return {"iso": now.isoformat(), "local": local.strftime("%Y-%m-%d %H:%M"), "weekday": local.isoweekday(),
            "offset_hours": round(demo.clock.offset.total_seconds() / 3600, 2)}  # fmt: skip


async def grid_map(request: web.Request) -> web.Response:
    """The SVG of the grid units (drawn once; the demo's units do not change while it runs)."""
    demo = request.app[DEMO_KEY]
    if "svg" not in demo.map_cache:
        demo.map_cache["svg"] = await map_svg(demo.services)
    return web.Response(text=demo.map_cache["svg"], content_type="image/svg+xml")


async def pins(request: web.Request) -> web.Response:
    """Open cases with their position, for the map."""
    return _ok(await open_case_pins(request.app[DEMO_KEY].services))


async def clock(request: web.Request) -> web.Response:
    """GET: the demo time. POST {step: hour|day|monday}: move it and run what falls due."""
    demo = request.app[DEMO_KEY]
    if request.method == "GET":
        return _ok(_clock_json(demo))
    body = await request.json() if request.can_read_body else {}
    step = str(body.get("step") or request.query.get("step") or "")
    if step not in STEPS:
        return web.json_response({"ok": False, "description": f"step must be one of {STEPS}"}, status=400)
    await advance(demo.clock, demo.services, step)
    report = await run_due_jobs(demo.services, demo.flush)
    return _ok({"clock": _clock_json(demo), "jobs": report.to_json()})


async def persona_language(request: web.Request) -> web.Response:
    """Switch a persona's Telegram language, as if they changed it in the app and then chose it with /lang."""
    demo = request.app[DEMO_KEY]
    person = next((p for p in PERSONAS if p.key == request.match_info["key"]), None)
    body = await request.json()
    code = "zh-hans" if str(body.get("language", "")).lower().startswith("zh") else "en"
    if person is None or person.openid is not None or person.telegram_id not in demo.state.users:
        return web.json_response({"ok": False, "description": "unknown persona"}, status=404)
    demo.state.users[person.telegram_id].language_code = code
    await choose_language(demo.services, UserRef(channel=TELEGRAM, external_id=person.telegram_id), code)
    return _ok(_persona_json(person, demo.state))


async def cjk_font(request: web.Request) -> web.StreamResponse:
    """The Noto Sans CJK font the summary chart uses, for machines without a Chinese system font."""
    spec = importlib.util.find_spec("mplfonts")
    if spec is None or not spec.submodule_search_locations:
        raise web.HTTPNotFound()
    path = Path(next(iter(spec.submodule_search_locations))) / "fonts" / "NotoSansCJKsc-Regular.otf"
    if not path.is_file():
        raise web.HTTPNotFound()
    return web.FileResponse(path, headers={"Content-Type": "font/otf", "Cache-Control": "max-age=86400"})


_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _refuse(status: int, description: str) -> web.Response:
    return web.json_response({"ok": False, "error_code": status, "description": description}, status=status)


def _local_host(host: str) -> bool:
    """Whether a Host header names this machine by address or as localhost (not a domain a page could rebind)."""
    try:
        name = (URL(f"http://{host}").host or "").lower()
        if name == "localhost":
            return True
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


@web.middleware
async def same_site_only(request: web.Request, handler: Any) -> web.StreamResponse:
    """Keep other web pages from driving the demo (its clock, personas and the people in the sandbox).

    A page on another site can make the browser post a form here, and DNS rebinding can make a foreign name
    point at this machine: so the Host must be an address or localhost, a state-changing request from a browser
    must come from this very origin, and the demo API's own writes must be JSON (a form cannot send JSON).
    """
    if not _local_host(request.host):
        return _refuse(403, "Forbidden: the demo answers only to an address or localhost")
    if request.method not in _SAFE_METHODS:
        origin = request.headers.get("Origin")
        if origin is not None and origin != f"{request.scheme}://{request.host}":
            return _refuse(403, "Forbidden: cross-site requests are not accepted")
        if request.path.startswith(PREFIX + "/") and request.content_type != "application/json":
            return _refuse(415, "Unsupported Media Type: send a JSON body")
    return await handler(request)


def add_routes(app: web.Application, context: DemoContext) -> None:
    """Mount the demo API and assets on the sandbox's application (before it starts), behind same-site checks."""
    app.middlewares.append(same_site_only)
    app[DEMO_KEY] = context
    app.router.add_get(PREFIX + "/bootstrap", bootstrap)
    app.router.add_get(PREFIX + "/map", grid_map)
    app.router.add_get(PREFIX + "/pins", pins)
    app.router.add_route("GET", PREFIX + "/clock", clock)
    app.router.add_route("POST", PREFIX + "/clock", clock)
    app.router.add_post(PREFIX + "/personas/{key}/language", persona_language)
    app.router.add_get("/demo/font/cjk.otf", cjk_font)
    app.router.add_get(PREFIX + "/wechat/gcj02", gcj02)
    app.router.add_static("/demo/assets/", ASSETS)
