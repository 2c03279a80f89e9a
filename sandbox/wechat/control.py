"""The control API under /sandbox/wechat/api: the account, people, acting as them, what they received, the clock.

Answers are ``{"ok": true, "result": ...}``, or ``{"ok": false, "description": ...}`` with 400/404. Acting as a
user posts to the bot's callback and answers once WeChat would be done with it (after the retries, if any).
"""

from __future__ import annotations

import base64
import io
import json
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from aiohttp import web
from PIL import Image as PILImage

from sandbox.wechat.api import STATE_KEY
from sandbox.wechat.poster import Poster, message_xml
from sandbox.wechat.state import JSON, Account, Follower, WeChatState

PREFIX = "/sandbox/wechat/api"
POSTER_KEY: web.AppKey[Poster] = web.AppKey("wechat_poster", Poster)
Action = Callable[[WeChatState, Follower, JSON], tuple[str, JSON]]


class ControlError(Exception):
    """A control request that cannot be done: ``status`` and a description."""

    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status = status


def add_control_routes(app: web.Application) -> None:
    """Add the control routes (the state under ``STATE_KEY``, the poster under ``POSTER_KEY``)."""
    routes: list[tuple[str, str, Callable[[web.Request, JSON], Awaitable[Any]]]] = [
        ("GET", "/state", state_summary),
        ("POST", "/account", configure_account),
        ("POST", "/users", create_user),
        ("POST", "/users/{openid}/{action}", act),
        ("GET", "/users/{openid}/received", received),
        ("GET", "/users/{openid}/conversation", conversation),
        ("GET", "/posts", posts),
        ("POST", "/posts/{post_id}/replay", replay),
        ("POST", "/clock", move_clock),
        ("POST", "/tokens/invalidate", invalidate_tokens),
        ("POST", "/limits", set_limits),
        ("POST", "/reset", reset),
    ]
    for method, path, work in routes:
        app.router.add_route(method, PREFIX + path, _control(work))
    app.router.add_get(PREFIX + "/media/{media_id}", media_bytes)


def _control(work: Callable[[web.Request, JSON], Awaitable[Any]]) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def handle(request: web.Request) -> web.Response:
        try:
            fields: JSON = dict(request.query)
            if request.can_read_body:
                body = json.loads(await request.read() or b"{}")
                if not isinstance(body, dict):
                    raise ControlError(400, "a JSON object is expected")
                fields.update(body)
            result = await work(request, fields)
        except ControlError as exc:
            return web.json_response({"ok": False, "description": str(exc)}, status=exc.status)
        except (ValueError, KeyError, TypeError) as exc:
            return web.json_response({"ok": False, "description": f"bad request: {exc!r}"}, status=400)
        return web.json_response({"ok": True, "result": result}, dumps=lambda v: json.dumps(v, ensure_ascii=False))

    return handle


def _state(request: web.Request) -> WeChatState:
    return request.app[STATE_KEY]


def _user(request: web.Request) -> Follower:
    state = _state(request)
    openid = request.match_info["openid"]
    if openid not in state.users:
        raise ControlError(404, f"no user {openid!r}")
    return state.users[openid]


async def state_summary(request: web.Request, fields: JSON) -> Any:
    """The account, people, limits, token fetches and the sandbox's time."""
    state = _state(request)
    return {
        "account": state.account.to_json(),
        "users": [user.to_json() for user in state.users.values()],
        "limits": vars(state.limits),
        "token_fetches": state.token_fetches,
        "now": state.clock.now().isoformat(),
    }


async def configure_account(request: web.Request, fields: JSON) -> Any:
    """Set the account's AppID, secret, token, EncodingAESKey (None: plaintext mode) and callback URL."""
    state = _state(request)
    known = {name: fields[name] for name in vars(Account()) if name in fields}
    state.account = Account(**{**vars(state.account), **known})
    return state.account.to_json()


async def create_user(request: web.Request, fields: JSON) -> Any:
    """A new WeChat user; they follow the account unless ``subscribed`` is false."""
    user = _state(request).add_user(
        str(fields.get("nickname") or "User"),
        str(fields.get("language") or "zh_CN"),
        fields.get("openid"),
        bool(fields.get("subscribed", True)),
    )
    return user.to_json()


async def act(request: web.Request, fields: JSON) -> Any:
    """Act as the user: post a message or event to the bot and answer with the post's record."""
    state, user = _state(request), _user(request)
    name = request.match_info["action"]
    action = ACTIONS.get(name)
    if action is None:
        raise ControlError(404, f"no action {name!r}; try one of {', '.join(sorted(ACTIONS))}")
    if name != "subscribe" and not user.subscribed:
        raise ControlError(400, "the user does not follow the account (subscribe first)")
    msg_type, xml_fields = action(state, user, fields)
    state.note_said(user, _said(name, msg_type, xml_fields))
    xml = message_xml(state, user, msg_type, xml_fields)
    return _public(await request.app[POSTER_KEY].post(user, name, xml), xml_fields)


def _said(action: str, msg_type: str, xml: JSON) -> JSON:
    """What the user's own chat shows of what they sent."""
    if msg_type == "text":
        return {"msgtype": "text", "text": xml["Content"], "action": action}
    if msg_type == "image":
        return {"msgtype": "image", "media_id": xml["MediaId"]}
    if msg_type == "location":
        return {"msgtype": "location", "lat": xml["Location_X"], "lon": xml["Location_Y"], "label": xml["Label"]}
    if msg_type == "voice":
        return {"msgtype": "voice", "text": xml.get("Recognition") or ""}
    if msg_type == "event":
        return {"msgtype": "event", "event": xml.get("Event"), "key": xml.get("EventKey")}
    return {"msgtype": msg_type}


def _public(record: JSON, xml_fields: JSON) -> JSON:
    """A post's record as the control API shows it (with its MsgId and MediaId, if any)."""
    shown = {key: value for key, value in record.items() if key not in ("body", "query")}
    shown["msg_id"] = xml_fields.get("MsgId")
    shown["media_id"] = xml_fields.get("MediaId")
    return shown


def _message(state: WeChatState, user: Follower, fields: JSON) -> JSON:
    state.wrote(user)
    return {**fields, "MsgId": state.next_msg_id()}


def _text(state: WeChatState, user: Follower, fields: JSON) -> tuple[str, JSON]:
    return "text", _message(state, user, {"Content": str(fields["text"])})


def _menu(state: WeChatState, user: Follower, fields: JSON) -> tuple[str, JSON]:
    # A click on a msgmenu item comes back as a text message naming the item.
    return "text", _message(state, user, {"Content": str(fields["content"]), "bizmsgmenuid": str(fields["id"])})


def _image(state: WeChatState, user: Follower, fields: JSON) -> tuple[str, JSON]:
    data = base64.b64decode(fields["data_base64"]) if fields.get("data_base64") else _jpeg(user)
    media_id = state.store_media(data, str(fields.get("content_type") or "image/jpeg"))
    pic_url = f"http://wechat.sandbox.invalid/pic/{media_id[:16]}"
    return "image", _message(state, user, {"PicUrl": pic_url, "MediaId": media_id})


def _jpeg(user: Follower) -> bytes:
    buffer = io.BytesIO()
    shade = sum(user.openid.encode()) % 200
    PILImage.new("RGB", (64, 48), (shade, 120, 200 - shade)).save(buffer, "JPEG")
    return buffer.getvalue()


def _location(state: WeChatState, user: Follower, fields: JSON) -> tuple[str, JSON]:
    # Location_X is the latitude: WeChat's names, GCJ-02 coordinates as given.
    location = {
        "Location_X": float(fields["lat"]),
        "Location_Y": float(fields["lon"]),
        "Scale": int(fields.get("scale", 15)),
    }
    return "location", _message(state, user, {**location, "Label": fields.get("label") or ""})


def _voice(state: WeChatState, user: Follower, fields: JSON) -> tuple[str, JSON]:
    media_id = state.store_media(b"#!AMR\n" + bytes(64), "audio/amr")
    return "voice", _message(
        state, user, {"MediaId": media_id, "Format": "amr", "Recognition": fields.get("recognition")}
    )


def _video(state: WeChatState, user: Follower, fields: JSON) -> tuple[str, JSON]:
    media_id = state.store_media(bytes(64), "video/mp4")
    return "video", _message(state, user, {"MediaId": media_id, "ThumbMediaId": media_id})


def _subscribe(state: WeChatState, user: Follower, fields: JSON) -> tuple[str, JSON]:
    user.subscribed = True
    state.wrote(user)  # following the account opens the window too
    scene = fields.get("scene")
    return "event", {"Event": "subscribe", "EventKey": f"qrscene_{scene}" if scene else ""}


def _unsubscribe(state: WeChatState, user: Follower, fields: JSON) -> tuple[str, JSON]:
    user.subscribed = False
    return "event", {"Event": "unsubscribe", "EventKey": ""}


def _click(state: WeChatState, user: Follower, fields: JSON) -> tuple[str, JSON]:
    state.wrote(user)  # a CLICK menu item opens the window, like a message
    return "event", {"Event": "CLICK", "EventKey": str(fields["key"])}


ACTIONS: dict[str, Action] = {
    "text": _text,
    "menu": _menu,
    "image": _image,
    "location": _location,
    "voice": _voice,
    "video": _video,
    "subscribe": _subscribe,
    "unsubscribe": _unsubscribe,
    "click": _click,
}


async def received(request: web.Request, fields: JSON) -> Any:
    """What the user has been shown, in order (``after``: only entries with a larger ``seq``)."""
    after = int(fields.get("after", 0))
    return [entry for entry in _user(request).received if entry["seq"] > after]


async def conversation(request: web.Request, fields: JSON) -> Any:
    """Both sides of the user's chat, in order: what they sent (``from_user``) and what they were shown."""
    return _state(request).conversation(_user(request), int(fields.get("after", 0)))


async def posts(request: web.Request, fields: JSON) -> Any:
    """Every post to the callback (of one ``user``, if given), with tries and outcome."""
    wanted = fields.get("user")
    return [
        {key: value for key, value in record.items() if key not in ("body", "query")}
        for record in _state(request).posts
        if wanted in (None, record["user"])
    ]


async def replay(request: web.Request, fields: JSON) -> Any:
    """Post an earlier post's query and body again, as WeChat does when an answer is lost."""
    post_id = int(request.match_info["post_id"])
    record = next((record for record in _state(request).posts if record["id"] == post_id), None)
    if record is None:
        raise ControlError(404, f"no post {post_id}")
    return _public(await request.app[POSTER_KEY].replay(record), {})


async def move_clock(request: web.Request, fields: JSON) -> Any:
    """Move the sandbox's clock forward by ``seconds`` (windows, tokens and media age with it)."""
    state = _state(request)
    seconds = float(fields["seconds"])
    if seconds < 0:
        raise ControlError(400, "the clock only moves forward")
    state.clock.offset += timedelta(seconds=seconds)
    return {"now": state.clock.now().isoformat()}


async def invalidate_tokens(request: web.Request, fields: JSON) -> Any:
    """Make every access token issued so far invalid (calls then get 40001)."""
    return {"invalidated": _state(request).invalidate_tokens()}


async def set_limits(request: web.Request, fields: JSON) -> Any:
    """Set ``reply_timeout`` (seconds), ``tries`` and ``window_cap`` (messages per 48-hour window)."""
    limits = _state(request).limits
    for name, kind in (("reply_timeout", float), ("tries", int), ("window_cap", int)):
        if name in fields:
            setattr(limits, name, kind(fields[name]))
    return vars(limits)


async def reset(request: web.Request, fields: JSON) -> Any:
    """Forget users, tokens, media and posts."""
    _state(request).reset()
    return {}


async def media_bytes(request: web.Request) -> web.StreamResponse:
    """A media file's bytes (uploaded by the bot or sent by a user), whatever its age."""
    media = _state(request).media.get(request.match_info["media_id"])
    if media is None:
        return web.json_response({"ok": False, "description": "no such media"}, status=404)
    return web.Response(body=media.data, content_type=media.content_type)
