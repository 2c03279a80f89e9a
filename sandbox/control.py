"""The control API under /sandbox/api: people, channels, acting as them, transcripts, limits, faults."""

from __future__ import annotations

import itertools
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from sandbox.botapi import STATE_KEY
from sandbox.errors import ApiError, bad_request
from sandbox.limits import Fault
from sandbox.params import Upload
from sandbox.state import ALL_BOTS, SandboxState, UserAccount
from sandbox.useractions import ACTIONS, make_actor

PREFIX = "/sandbox/api"
_user_ids = itertools.count(1_000_001)
_channel_ids = itertools.count(1)
Handler = Callable[[SandboxState, web.Request, dict[str, Any], list[Upload]], Awaitable[Any]]


async def read_body(request: web.Request) -> tuple[dict[str, Any], list[Upload]]:
    """Fields and uploaded files from a JSON, form or multipart body (plus the query string)."""
    fields: dict[str, Any] = dict(request.query)
    files: list[Upload] = []
    if request.content_type == "application/json" and request.can_read_body:
        body = await request.json()
        if not isinstance(body, dict):
            raise bad_request("a JSON object is expected")
        fields.update(body)
    elif request.can_read_body:
        for name, value in (await request.post()).items():
            if isinstance(value, web.FileField):
                files.append(Upload(value.filename, value.content_type, value.file.read()))
            else:
                fields[name] = value
    return fields, files


async def state_summary(state: SandboxState, request: web.Request, fields: dict[str, Any], files: list[Upload]) -> Any:
    """Bots, users and chats the sandbox knows."""
    return {
        "bots": [bot.to_json() | {"token": bot.token} for bot in state.bots.values()],
        "users": [user.to_json() for user in state.users.values()],
        "chats": list(state.groups.values()),
    }


async def register_bot(state: SandboxState, request: web.Request, fields: dict[str, Any], files: list[Upload]) -> Any:
    """Register a bot ahead of its first call, with a display name."""
    return state.register_bot(fields["token"], fields.get("username"), fields.get("first_name")).to_json()


async def create_user(state: SandboxState, request: web.Request, fields: dict[str, Any], files: list[Upload]) -> Any:
    """Create (or replace) a user."""
    user = UserAccount(
        id=int(fields.get("id") or next(_user_ids)),
        first_name=str(fields.get("first_name") or "User"),
        last_name=fields.get("last_name"),
        username=fields.get("username"),
        language_code=fields.get("language_code"),
    )
    return state.add_user(user).to_json()


async def block_bot(state: SandboxState, request: web.Request, fields: dict[str, Any], files: list[Upload]) -> Any:
    """Mark that a user blocked (or unblocked) a bot; without `bot`, every bot."""
    user = state.user(int(request.match_info["user_id"]))
    bot_id = state.pick_bot(fields["bot"]).id if fields.get("bot") else ALL_BOTS
    if _truthy(fields.get("blocked", True)):
        user.blocked.add(bot_id)
    else:
        user.blocked.discard(bot_id)
    return {"user_id": user.id, "blocked": sorted(user.blocked)}


async def create_chat(state: SandboxState, request: web.Request, fields: dict[str, Any], files: list[Upload]) -> Any:
    """Register a channel or group chat the bot may post into (``admins``: the user ids that administer it)."""
    chat_id = int(fields.get("id") or -1_001_000_000_000 - next(_channel_ids))
    admins = fields.get("admins") or []
    if isinstance(admins, str):  # a form field: comma-separated ids
        admins = [part for part in admins.split(",") if part.strip()]
    return state.add_group(
        chat_id,
        str(fields.get("title") or "Channel"),
        str(fields.get("type") or "channel"),
        fields.get("username"),
        admins=[int(admin) for admin in admins],
    )


async def transcript(state: SandboxState, request: web.Request, fields: dict[str, Any], files: list[Upload]) -> Any:
    """Messages of a chat in order, as they stand now, deletions marked."""
    chat = state.resolve_chat(request.match_info["chat_id"])
    conv = state.conversation(state.pick_bot(fields.get("bot")), chat)
    return {
        "chat": chat,
        "reply_keyboard": conv.reply_keyboard,
        "messages": [record.to_json() for record in conv.messages.values()],
    }


async def act(state: SandboxState, request: web.Request, fields: dict[str, Any], files: list[Upload]) -> Any:
    """Act as a user: /sandbox/api/users/{user_id}/{action} with action text, photo, press..."""
    action = ACTIONS.get(request.match_info["action"])
    if action is None:
        raise ApiError(404, f"unknown action; known: {sorted(ACTIONS)}")
    chat_id = int(fields["chat_id"]) if fields.get("chat_id") else None
    return action(make_actor(state, int(request.match_info["user_id"]), fields.get("bot"), chat_id), fields, files)


async def callback_answers(
    state: SandboxState, request: web.Request, fields: dict[str, Any], files: list[Upload]
) -> Any:
    """Button presses and what the bot answered to each (the toast or alert the user saw)."""
    user_id = int(fields["user_id"]) if fields.get("user_id") else None
    return [query for query in state.callbacks.values() if user_id in (None, query["user_id"])]


async def rate_limits(state: SandboxState, request: web.Request, fields: dict[str, Any], files: list[Upload]) -> Any:
    """Turn Telegram's flood limits on or off and tune them."""
    enabled = _truthy(fields.pop("enabled", True))
    try:
        state.limiter.configure(enabled, **{key: float(value) for key, value in fields.items()})
    except ValueError as exc:
        raise bad_request(str(exc)) from None
    return {"enabled": state.limiter.enabled}


async def faults(state: SandboxState, request: web.Request, fields: dict[str, Any], files: list[Upload]) -> Any:
    """Set random faults (rate, statuses, seed, methods, delays) and/or queue scripted ones (script)."""
    if request.method == "DELETE":
        state.faults.clear()
        return True
    if "rate" in fields or "delays" in fields:
        state.faults.configure(
            rate=float(fields.get("rate") or 0),
            statuses=fields.get("statuses") or (500,),
            seed=fields.get("seed", 0),
            methods=fields.get("methods"),
            delays=fields.get("delays"),
        )
    for item in fields.get("script") or []:
        fault = Fault(
            status=int(item.get("status", 500)),
            retry_after=int(item.get("retry_after", 1)),
            delivered=bool(item.get("delivered", False)),
            delay=float(item.get("delay", 0)),
        )
        state.faults.script(str(item.get("method", "*")), [fault] * int(item.get("count", 1)))
    return True


async def events(state: SandboxState, request: web.Request, fields: dict[str, Any], files: list[Upload]) -> Any:
    """Long poll for events newer than `after` (waits up to `timeout` seconds, default 25)."""
    after = int(fields.get("after") or 0)
    found = await state.events.wait_after(after, float(fields.get("timeout", 25)))
    return {"events": found, "last": found[-1]["id"] if found else max(after, 0)}


async def reset(state: SandboxState, request: web.Request, fields: dict[str, Any], files: list[Upload]) -> Any:
    """Forget everything but the bots."""
    state.reset()
    return True


def _truthy(value: Any) -> bool:
    return str(value).lower() not in ("false", "0", "no", "off", "")


def _endpoint(handler: Handler) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def endpoint(request: web.Request) -> web.Response:
        try:
            fields, files = await read_body(request)
            result = await handler(request.app[STATE_KEY], request, fields, files)
        except ApiError as error:
            return web.json_response(error.payload(), status=error.code)
        except (KeyError, ValueError, TypeError) as exc:
            return web.json_response(bad_request(f"invalid request: {exc!r}").payload(), status=400)
        return web.json_response({"ok": True, "result": result})

    return endpoint


async def download(request: web.Request) -> web.Response:
    """The bytes of a stored file, for people and tests looking at what the bot sent."""
    try:
        stored = request.app[STATE_KEY].files.get(request.match_info["file_id"])
    except ApiError as error:
        return web.json_response(error.payload(), status=404)
    return web.Response(body=stored.data, content_type=stored.mime_type or "application/octet-stream")


def add_routes(app: web.Application) -> None:
    """Mount the control API on an application."""
    routes: list[tuple[str, str, Handler]] = [
        ("GET", "/state", state_summary),
        ("POST", "/bots", register_bot),
        ("POST", "/users", create_user),
        ("POST", "/users/{user_id}/block", block_bot),
        ("POST", "/users/{user_id}/{action}", act),
        ("POST", "/chats", create_chat),
        ("GET", "/chats/{chat_id}/messages", transcript),
        ("GET", "/callbacks", callback_answers),
        ("POST", "/rate_limits", rate_limits),
        ("POST", "/faults", faults),
        ("DELETE", "/faults", faults),
        ("GET", "/events", events),
        ("POST", "/reset", reset),
    ]
    for method, path, handler in routes:
        app.router.add_route(method, PREFIX + path, _endpoint(handler))
    app.router.add_get(PREFIX + "/files/{file_id}", download)
