"""The Official Account API the bot calls: ``/cgi-bin/token``, custom-send, template-send, media upload and get.

Answers are WeChat's: JSON with ``errcode``/``errmsg`` (0 for success), HTTP 200 either way; media/get answers
the file itself, or its JSON error as text/plain.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable

from aiohttp import web

from sandbox.wechat.state import JSON, WeChatState, WxError

STATE_KEY: web.AppKey[WeChatState] = web.AppKey("wechat_state", WeChatState)
#: WeChat drops a text (passive or customer-service) longer than this many UTF-8 bytes.
TEXT_LIMIT_BYTES = 2048
MSGMENU_MAX_ITEMS = 10
#: A temporary image upload holds at most 10 MB (10 × 1024 × 1024 bytes); WeChat answers 40006 for more.
IMAGE_UPLOAD_MAX_BYTES = 10 * 1024 * 1024


def add_api_routes(app: web.Application) -> None:
    """Add the API routes (the state under ``STATE_KEY``)."""
    app.router.add_get("/cgi-bin/token", _endpoint(token))
    app.router.add_post("/cgi-bin/message/custom/send", _endpoint(custom_send, needs_token=True))
    app.router.add_post("/cgi-bin/message/template/send", _endpoint(template_send, needs_token=True))
    app.router.add_post("/cgi-bin/media/upload", _endpoint(media_upload, needs_token=True))
    app.router.add_get("/cgi-bin/media/get", media_get)
    app.router.add_get("/cgi-bin/user/info", _endpoint(user_info, needs_token=True))


def answer(payload: JSON, content_type: str = "application/json") -> web.Response:
    """A WeChat-style JSON answer (UTF-8, not escaped)."""
    return web.Response(text=json.dumps(payload, ensure_ascii=False), content_type=content_type)


Endpoint = Callable[[WeChatState, web.Request], Awaitable[JSON]]


def _endpoint(work: Endpoint, *, needs_token: bool = False) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def handle(request: web.Request) -> web.Response:
        state = request.app[STATE_KEY]
        try:
            if needs_token:
                state.check_token(request.query.get("access_token"))
            result = await work(state, request)
        except WxError as exc:
            return answer({"errcode": exc.errcode, "errmsg": exc.errmsg})
        return answer({"errcode": 0, "errmsg": "ok", **result})

    return handle


async def token(state: WeChatState, request: web.Request) -> JSON:
    """A new access token for the account's AppID and AppSecret."""
    query = request.query
    if query.get("grant_type") != "client_credential":
        raise WxError(40002, "invalid grant_type")
    if query.get("appid") != state.account.app_id:
        raise WxError(40013, "invalid appid")
    if query.get("secret") != state.account.app_secret:
        raise WxError(40125, "invalid appsecret")
    value, lifetime = state.issue_token()
    return {"access_token": value, "expires_in": lifetime}


async def user_info(state: WeChatState, request: web.Request) -> JSON:
    """A follower's basic information: WeChat still answers ``language`` (nicknames are no longer given out)."""
    try:
        user = state.user(request.query.get("openid", ""))
    except KeyError as exc:
        raise WxError(40003, "invalid openid") from exc
    if not user.subscribed:
        return {"subscribe": 0, "openid": user.openid}
    return {"subscribe": 1, "openid": user.openid, "language": user.language}


async def _json_body(request: web.Request) -> JSON:
    try:
        body = json.loads(await request.read())
    except ValueError as exc:
        raise WxError(47001, "data format error") from exc
    if not isinstance(body, dict):
        raise WxError(47001, "data format error")
    return body


async def custom_send(state: WeChatState, request: web.Request) -> JSON:
    """A customer-service message: text, image or msgmenu, within the user's window and allowance."""
    body = await _json_body(request)
    user = state.check_custom_send(str(body.get("touser", "")))
    entry = _custom_entry(state, body)
    user.sent_in_window += 1
    state.deliver(user, {"via": "custom", **entry})
    return {}


def _custom_entry(state: WeChatState, body: JSON) -> JSON:
    msg_type = body.get("msgtype")
    part = body.get(str(msg_type))
    if not isinstance(part, dict):
        raise WxError(40008, "invalid message type")
    if msg_type == "text":
        content = part.get("content")
        if not isinstance(content, str) or not content:
            raise WxError(44003, "empty news data")
        if len(content.encode()) > TEXT_LIMIT_BYTES:
            raise WxError(45002, "content size out of limit")
        return {"msgtype": "text", "text": content}
    if msg_type == "image":
        media_id = str(part.get("media_id", ""))
        state.get_media(media_id)
        return {"msgtype": "image", "media_id": media_id}
    if msg_type == "msgmenu":
        return {"msgtype": "msgmenu", "menu": part, "text": _menu_text(part)}
    raise WxError(40008, "invalid message type")


def _menu_text(menu: JSON) -> str:
    items = menu.get("list")
    if not isinstance(items, list) or not 1 <= len(items) <= MSGMENU_MAX_ITEMS:
        raise WxError(47001, "data format error")
    if not all(isinstance(item, dict) and item.get("id") and item.get("content") for item in items):
        raise WxError(47001, "data format error")
    lines = [str(menu.get("head_content") or ""), *(str(item["content"]) for item in items)]
    lines.append(str(menu.get("tail_content") or ""))
    return "\n".join(line for line in lines if line)


async def template_send(state: WeChatState, request: web.Request) -> JSON:
    """A template message: no window, but only to followers."""
    body = await _json_body(request)
    user = state.users.get(str(body.get("touser", "")))
    if user is None:
        raise WxError(40003, "invalid openid")
    if not user.subscribed:
        raise WxError(43004, "require subscribe")
    template_id = body.get("template_id")
    if not isinstance(template_id, str) or not template_id:
        raise WxError(40037, "invalid template_id")
    data = body.get("data")
    data = data if isinstance(data, dict) else {}
    values = {str(name): str(item.get("value", "")) for name, item in data.items() if isinstance(item, dict)}
    text = "\n".join(f"{name}: {value}" for name, value in values.items())
    msg_id = state.next_msg_id()
    state.deliver(
        user,
        {
            "via": "template",
            "msgtype": "template",
            "template_id": template_id,
            "data": values,
            "text": text,
            "url": body.get("url"),
        },
    )
    return {"msgid": msg_id}


async def media_upload(state: WeChatState, request: web.Request) -> JSON:
    """Keep an uploaded image for three days and name it by a media id (40006 for one over 10 MB)."""
    if request.query.get("type") != "image":
        raise WxError(40004, "invalid media type")
    if not request.content_type.startswith("multipart/"):
        raise WxError(41005, "media data missing")
    form = await request.post()
    media = form.get("media")
    if not isinstance(media, web.FileField):
        raise WxError(41005, "media data missing")
    data = media.file.read()
    if not data:
        raise WxError(41005, "media data missing")
    if len(data) > IMAGE_UPLOAD_MAX_BYTES:
        raise WxError(40006, "invalid meida size")  # sic: WeChat's own spelling
    media_id = state.store_media(data, media.content_type or "image/jpeg")
    return {"type": "image", "media_id": media_id, "created_at": int(state.clock.now().timestamp())}


async def media_get(request: web.Request) -> web.Response:
    """A temporary media file's bytes, or WeChat's JSON error as text/plain."""
    state = request.app[STATE_KEY]
    try:
        state.check_token(request.query.get("access_token"))
        media = state.get_media(request.query.get("media_id", ""))
    except WxError as exc:
        return answer({"errcode": exc.errcode, "errmsg": exc.errmsg}, content_type="text/plain")
    return web.Response(body=media.data, content_type=media.content_type)
