"""The bot-facing HTTP side: `/bot{token}/{method}` and `/file/bot{token}/{path}`, as PTB calls them."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiohttp import web

from sandbox import editing, sending, webhooks
from sandbox.call import Call, Method
from sandbox.errors import JSON, ApiError, bad_request
from sandbox.params import Params
from sandbox.state import SandboxState

STATE_KEY = web.AppKey("sandbox_state", SandboxState)
log = logging.getLogger(__name__)


async def get_me(call: Call) -> JSON:
    """getMe: the bot's own User."""
    return call.bot.to_json()


WEBHOOK_ACTIVE = (
    "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first"
)


async def get_updates(call: Call) -> list[JSON]:
    """getUpdates: long polling with offset, limit, timeout and allowed_updates (409 while a webhook is set)."""
    if call.bot.webhook is not None:
        raise ApiError(409, WEBHOOK_ACTIVE)
    _allow(call)
    return await call.bot.updates.poll(
        offset=call.params.integer("offset", 0) or 0,
        limit=call.params.integer("limit", 100) or 100,
        wait_seconds=float(call.params.integer("timeout", 0) or 0),
    )


def _allow(call: Call) -> None:
    allowed = call.params.parsed("allowed_updates")
    if isinstance(allowed, list):
        call.bot.updates.allowed = set(allowed) or None


async def set_webhook(call: Call) -> bool:
    """setWebhook: POST updates to `url` (with `secret_token` in a header) from now on; an empty url removes it."""
    url = call.params.text("url") or ""
    if not url:
        return await delete_webhook(call)
    secret = call.params.text("secret_token") or None
    webhooks.check(url, secret)
    if call.bot.webhook is not None:
        await webhooks.stop(call.bot.webhook)
    if call.params.flag("drop_pending_updates"):
        call.bot.updates.drop_all()
    _allow(call)
    call.bot.webhook = webhooks.Webhook(url, secret)
    webhooks.start(call.bot.webhook, call.bot.updates, call.state.now)
    return True


async def delete_webhook(call: Call) -> bool:
    """deleteWebhook: back to getUpdates; optionally drop pending updates."""
    if call.bot.webhook is not None:
        await webhooks.stop(call.bot.webhook)
        call.bot.webhook = None
    if call.params.flag("drop_pending_updates"):
        call.bot.updates.drop_all()
    return True


async def get_webhook_info(call: Call) -> JSON:
    """getWebhookInfo: the webhook set, or an empty url when the bot uses getUpdates."""
    pending = len(call.bot.updates.pending)
    if call.bot.webhook is None:
        return {"url": "", "has_custom_certificate": False, "pending_update_count": pending}
    return call.bot.webhook.info(pending)


async def set_my_commands(call: Call) -> bool:
    """setMyCommands: remember the command list per scope and language."""
    commands = call.params.parsed("commands") or []
    call.bot.commands[_command_key(call)] = [
        {"command": c["command"], "description": c["description"]} for c in commands
    ]
    return True


async def get_my_commands(call: Call) -> list[JSON]:
    """getMyCommands: the list set for this scope and language."""
    return call.bot.commands.get(_command_key(call), [])


async def delete_my_commands(call: Call) -> bool:
    """deleteMyCommands: forget the list for this scope and language."""
    call.bot.commands.pop(_command_key(call), None)
    return True


async def set_chat_menu_button(call: Call) -> bool:
    """setChatMenuButton: remembered, shown to nobody."""
    call.bot.menu_button = call.params.parsed("menu_button") or {"type": "default"}
    return True


async def get_chat_menu_button(call: Call) -> JSON:
    """getChatMenuButton: the last button set."""
    return call.bot.menu_button


#: Bots may download files of at most 20 MB; getFile refuses bigger ones.
MAX_DOWNLOAD = 20 * 1024 * 1024


async def get_file(call: Call) -> JSON:
    """getFile: the file's download path (400 for a file over the 20 MB bots may download)."""
    stored = call.state.files.get(call.params.require("file_id"))
    if len(stored.data) > MAX_DOWNLOAD:
        raise bad_request("file is too big")
    return stored.file_json()


async def get_chat(call: Call) -> JSON:
    """getChat: a ChatFullInfo with the fields PTB requires."""
    chat = call.state.resolve_chat(call.params.require("chat_id"))
    gifts = {
        "unlimited_gifts": False,
        "limited_gifts": False,
        "unique_gifts": False,
        "premium_subscription": False,
    }
    return {**chat, "accent_color_id": 0, "max_reaction_count": 11, "accepted_gift_types": gifts}


_ADMIN_RIGHTS = (
    "can_manage_chat",
    "can_delete_messages",
    "can_manage_video_chats",
    "can_restrict_members",
    "can_promote_members",
    "can_change_info",
    "can_invite_users",
    "can_post_stories",
    "can_edit_stories",
    "can_delete_stories",
)


async def get_chat_member(call: Call) -> JSON:
    """getChatMember: the group's creator, an administrator, or a plain member (anyone else who is known)."""
    chat = call.state.resolve_chat(call.params.require("chat_id"))
    user_id = call.params.integer("user_id") or 0
    user = call.state.users.get(user_id)
    if user is None:
        raise bad_request("PARTICIPANT_ID_INVALID")
    if chat["type"] == "private":
        return {"status": "member", "user": user.to_json()}
    admins = call.state.admins.get(chat["id"], [])
    if admins and admins[0] == user_id:
        return {"status": "creator", "user": user.to_json(), "is_anonymous": False}
    if user_id in admins:
        rights = dict.fromkeys(_ADMIN_RIGHTS, True)
        member = {"status": "administrator", "user": user.to_json(), "can_be_edited": False, "is_anonymous": False}
        return {**member, **rights}
    return {"status": "member", "user": user.to_json()}


async def succeed(call: Call) -> bool:
    """Methods the sandbox accepts and ignores (close, logOut, descriptions...)."""
    return True


def _command_key(call: Call) -> str:
    scope = call.params.parsed("scope") or {"type": "default"}
    return f"{scope.get('type')}:{scope.get('chat_id', '')}:{call.params.text('language_code') or ''}"


METHODS: dict[str, Method] = {
    "getme": get_me,
    "getupdates": get_updates,
    "setwebhook": set_webhook,
    "deletewebhook": delete_webhook,
    "getwebhookinfo": get_webhook_info,
    "setmycommands": set_my_commands,
    "getmycommands": get_my_commands,
    "deletemycommands": delete_my_commands,
    "setchatmenubutton": set_chat_menu_button,
    "getchatmenubutton": get_chat_menu_button,
    "getfile": get_file,
    "getchat": get_chat,
    "getchatmember": get_chat_member,
    "close": succeed,
    "logout": succeed,
    "setmydescription": succeed,
    "setmyshortdescription": succeed,
    "setmyname": succeed,
    **sending.METHODS,
    **editing.METHODS,
}


async def dispatch(state: SandboxState, token: str, method: str, params: Params) -> Any:
    """Run one Bot API method with faults and delays applied; raises ApiError for error answers."""
    bot = state.bot_for_token(token)
    handler = METHODS.get(method.lower())
    if handler is None:
        raise ApiError(404, "Not Found: method not found")
    delay = state.faults.delay(method)
    fault = state.faults.draw(method)
    if fault and fault.delay:
        delay += fault.delay
    if delay:
        await asyncio.sleep(delay)
    if fault and not fault.delivered:
        raise fault.error()  # nothing was delivered, so the bot's retry is not a duplicate
    result = await handler(Call(state, bot, params))
    if fault:
        raise fault.error()
    return result


async def handle_method(request: web.Request) -> web.Response:
    """POST|GET /bot{token}/{method}."""
    state = request.app[STATE_KEY]
    method = request.match_info["method"]
    try:
        params = await Params.read(request)
        result = await dispatch(state, request.match_info["token"], method, params)
    except ApiError as error:
        log.debug("%s answered %s %s", method, error.code, error.description)
        return web.json_response(error.payload(), status=error.code)
    return web.json_response({"ok": True, "result": result})


async def handle_file(request: web.Request) -> web.Response:
    """GET /file/bot{token}/{file_path}: the stored bytes."""
    state = request.app[STATE_KEY]
    try:
        state.bot_for_token(request.match_info["token"])
    except ApiError as error:
        return web.json_response(error.payload(), status=error.code)
    stored = state.files.by_path(request.match_info["file_path"])
    if stored is None:
        return web.json_response(ApiError(404, "Not Found").payload(), status=404)
    stored.downloads += 1
    return web.Response(body=stored.data, content_type=stored.mime_type or "application/octet-stream")


async def _stop_webhooks(app: web.Application) -> None:
    for bot in app[STATE_KEY].bots.values():
        if bot.webhook is not None:
            await webhooks.stop(bot.webhook)


def add_routes(app: web.Application) -> None:
    """Mount the Bot API routes on an application (and stop webhook deliveries when it shuts down)."""
    app.router.add_route("*", "/bot{token}/{method}", handle_method)
    app.router.add_get("/file/bot{token}/{file_path:.+}", handle_file)
    app.on_cleanup.append(_stop_webhooks)
