"""WeChat's message XML → plain inbound events, with wechatpy's parser doing the XML."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from xml.parsers.expat import ExpatError

from wechatpy import events as wx_events
from wechatpy import messages as wx_messages
from wechatpy.parser import parse_message

from channels.wechat.events import (
    Image,
    InboundEvent,
    Location,
    MenuClick,
    Other,
    Subscribe,
    Text,
    Unsubscribe,
    Voice,
)
from geo.crs import InvalidCoordinates, gcj02_to_wgs84, validate_latlon


class MalformedMessage(ValueError):
    """The body is not a WeChat message (not XML, or a field that every message has is missing or wrong)."""


def parse_event(xml: str) -> InboundEvent:
    """The plain event a message's XML stands for; raise ``MalformedMessage`` for anything WeChat would not send."""
    try:
        message = parse_message(xml)
    except (ExpatError, KeyError, TypeError, AttributeError, ValueError) as exc:
        raise MalformedMessage(f"not a WeChat message: {exc!r}") from exc
    if message is None:
        raise MalformedMessage("empty body")
    raw: dict[str, Any] = message._data
    try:
        return _convert(message, raw, _common(raw))
    except MalformedMessage:
        raise
    except (TypeError, ValueError) as exc:
        raise MalformedMessage(f"bad {raw.get('MsgType')!r} message: {exc}") from exc


def _common(raw: dict[str, Any]) -> dict[str, Any]:
    user, account, created = raw.get("FromUserName"), raw.get("ToUserName"), raw.get("CreateTime")
    if not (isinstance(user, str) and user and isinstance(account, str) and isinstance(created, str)):
        raise MalformedMessage("FromUserName, ToUserName and CreateTime are required")
    try:
        created_at = datetime.fromtimestamp(int(created), UTC)
    except (ValueError, OverflowError, OSError) as exc:
        raise MalformedMessage(f"CreateTime is not a time: {created!r}") from exc
    msg_id = raw.get("MsgId")
    if isinstance(msg_id, str) and msg_id:
        dedupe_key = f"msg:{msg_id}"
    else:
        # WeChat's own advice for events, which have no MsgId; the event name keeps a subscribe and a click
        # made in the same second apart,
        # and the EventKey two menu clicks in the same second.
        key = _string(raw.get("EventKey")) or ""
        dedupe_key = f"event:{user}:{created}:{_string(raw.get('Event')) or ''}" + (f":{key[:64]}" if key else "")
    return {"user": user, "account": account, "created": created_at, "dedupe_key": dedupe_key}


def _convert(message: Any, raw: dict[str, Any], common: dict[str, Any]) -> InboundEvent:
    if isinstance(message, wx_messages.TextMessage):
        return Text(text=_string(raw.get("Content")) or "", menu_id=_string(raw.get("bizmsgmenuid")), **common)
    if isinstance(message, wx_messages.ImageMessage):
        return Image(media_id=_required(raw, "MediaId"), pic_url=_string(raw.get("PicUrl")), **common)
    if isinstance(message, wx_messages.LocationMessage):
        return _location(raw, common)
    if isinstance(message, wx_messages.VoiceMessage):
        recognition = (_string(raw.get("Recognition")) or "").strip() or None
        return Voice(media_id=_required(raw, "MediaId"), recognition=recognition, **common)
    if isinstance(message, wx_events.SubscribeEvent | wx_events.SubscribeScanEvent):
        return Subscribe(scene=_string(raw.get("EventKey")) or None, **common)
    if isinstance(message, wx_events.UnsubscribeEvent):
        return Unsubscribe(**common)
    if isinstance(message, wx_events.ClickEvent):
        return MenuClick(key=_string(raw.get("EventKey")) or "", **common)
    kind = str(raw.get("MsgType", "")).lower()
    if kind == "event":
        kind = f"event:{str(raw.get('Event', '')).lower()}"
    return Other(kind=kind, **common)


def _location(raw: dict[str, Any], common: dict[str, Any]) -> Location:
    # Location_X is the latitude and Location_Y the longitude, both GCJ-02.
    try:
        lat_gcj, lon_gcj = validate_latlon(_required(raw, "Location_X"), _required(raw, "Location_Y"))
    except InvalidCoordinates as exc:
        raise MalformedMessage(str(exc)) from exc
    lat, lon = gcj02_to_wgs84(lat_gcj, lon_gcj)
    scale = _string(raw.get("Scale"))
    return Location(
        lat=lat,
        lon=lon,
        label=_string(raw.get("Label")) or None,
        scale=int(scale) if scale and scale.isascii() and scale.isdigit() else None,
        **common,
    )


def _string(value: Any) -> str | None:
    """A field's text; a repeated or nested element is not text."""
    if value is None or isinstance(value, str):
        return value
    raise TypeError(f"expected text, got {type(value).__name__}")


def _required(raw: dict[str, Any], name: str) -> str:
    value = _string(raw.get(name))
    if not value:
        raise MalformedMessage(f"{name} is required")
    return value
