"""WeChat message XML → plain events: every type the account receives, GCJ-02 locations, and what is malformed."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from geopy.distance import geodesic

from channels.wechat.events import Image, Location, MenuClick, Other, Subscribe, Text, Unsubscribe, Voice
from channels.wechat.parsing import MalformedMessage, parse_event

HEAD = (
    "<ToUserName><![CDATA[gh_account]]></ToUserName><FromUserName><![CDATA[oUser1]]></FromUserName>"
    "<CreateTime>1795000000</CreateTime>"
)


def xml(body: str, head: str = HEAD) -> str:
    return f"<xml>{head}{body}</xml>"


def test_a_text_message_becomes_text_keyed_by_its_msgid() -> None:
    event = parse_event(
        xml("<MsgType><![CDATA[text]]></MsgType><Content><![CDATA[路边有垃圾]]></Content><MsgId>42</MsgId>")
    )
    assert event == Text(
        user="oUser1",
        account="gh_account",
        created=datetime.fromtimestamp(1795000000, UTC),
        dedupe_key="msg:42",
        text="路边有垃圾",
    )


def test_a_msgmenu_click_is_text_with_the_menu_item_id() -> None:
    event = parse_event(
        xml(
            "<MsgType>text</MsgType><Content>Submit</Content><MsgId>43</MsgId><bizmsgmenuid>draft:submit</bizmsgmenuid>"
        )
    )
    assert isinstance(event, Text)
    assert (event.text, event.menu_id) == ("Submit", "draft:submit")


def test_an_image_carries_its_media_id_and_picture_url() -> None:
    event = parse_event(
        xml("<MsgType>image</MsgType><PicUrl>http://mmbiz/p.jpg</PicUrl><MediaId>MEDIA1</MediaId><MsgId>44</MsgId>")
    )
    assert isinstance(event, Image)
    assert (event.media_id, event.pic_url) == ("MEDIA1", "http://mmbiz/p.jpg")


def test_a_location_takes_location_x_as_latitude_and_converts_gcj02_to_wgs84() -> None:
    # AMap's published example: WGS-84 39.990475, 116.481499 is GCJ-02 39.991754, 116.487586 (Wangjing, Beijing).
    event = parse_event(
        xml(
            "<MsgType>location</MsgType><Location_X>39.991754</Location_X><Location_Y>116.487586</Location_Y>"
            "<Scale>16</Scale><Label><![CDATA[望京]]></Label><MsgId>45</MsgId>"
        )
    )
    assert isinstance(event, Location)
    assert geodesic((event.lat, event.lon), (39.990475, 116.481499)).meters < 1.0
    # The GCJ-02 point itself is more than half a kilometre away: an unconverted point would route wrongly.
    assert geodesic((39.991754, 116.487586), (39.990475, 116.481499)).meters > 500
    assert (event.label, event.scale) == ("望京", 16)


def test_a_zoom_scale_that_is_not_plain_digits_is_dropped_not_a_crash() -> None:
    event = parse_event(
        xml(
            "<MsgType>location</MsgType><Location_X>39.9</Location_X><Location_Y>116.4</Location_Y>"
            "<Scale>¹⁶</Scale><MsgId>48</MsgId>"
        )
    )
    assert isinstance(event, Location) and event.scale is None


def test_a_location_outside_china_is_left_as_it_is() -> None:
    event = parse_event(
        xml("<MsgType>location</MsgType><Location_X>51.5</Location_X><Location_Y>-0.12</Location_Y><MsgId>46</MsgId>")
    )
    assert isinstance(event, Location)
    assert (event.lat, event.lon) == (51.5, -0.12)


def test_a_voice_message_keeps_the_recognition_or_none() -> None:
    heard = parse_event(
        xml(
            "<MsgType>voice</MsgType><MediaId>V1</MediaId><Format>amr</Format><Recognition>井盖坏了</Recognition><MsgId>47</MsgId>"
        )
    )
    silent = parse_event(
        xml(
            "<MsgType>voice</MsgType><MediaId>V2</MediaId><Format>amr</Format><Recognition></Recognition><MsgId>48</MsgId>"
        )
    )
    assert isinstance(heard, Voice) and heard.recognition == "井盖坏了"
    assert isinstance(silent, Voice) and silent.recognition is None


def test_events_are_keyed_by_sender_time_and_event() -> None:
    subscribe = parse_event(xml("<MsgType>event</MsgType><Event>subscribe</Event><EventKey></EventKey>"))
    scanned = parse_event(xml("<MsgType>event</MsgType><Event>subscribe</Event><EventKey>qrscene_street7</EventKey>"))
    unsubscribe = parse_event(xml("<MsgType>event</MsgType><Event>unsubscribe</Event>"))
    click = parse_event(xml("<MsgType>event</MsgType><Event>CLICK</Event><EventKey>REPORT</EventKey>"))
    assert isinstance(subscribe, Subscribe) and subscribe.scene is None
    assert isinstance(scanned, Subscribe) and scanned.scene == "street7"
    assert isinstance(unsubscribe, Unsubscribe)
    assert isinstance(click, MenuClick) and click.key == "REPORT"
    assert subscribe.dedupe_key == "event:oUser1:1795000000:subscribe"
    assert click.dedupe_key == "event:oUser1:1795000000:CLICK:REPORT"
    # Two menu items clicked within the same second are two events.
    other = parse_event(xml("<MsgType>event</MsgType><Event>CLICK</Event><EventKey>HELP</EventKey>"))
    assert other.dedupe_key == "event:oUser1:1795000000:CLICK:HELP"


def test_other_messages_and_events_say_what_they_were() -> None:
    video = parse_event(
        xml("<MsgType>video</MsgType><MediaId>M</MediaId><ThumbMediaId>T</ThumbMediaId><MsgId>49</MsgId>")
    )
    view = parse_event(xml("<MsgType>event</MsgType><Event>VIEW</Event><EventKey>http://x</EventKey>"))
    assert video == Other(user="oUser1", account="gh_account", created=video.created, dedupe_key="msg:49", kind="video")
    assert isinstance(view, Other) and view.kind == "event:view"


@pytest.mark.parametrize(
    "body",
    [
        "",
        "not xml at all",
        "<xml><ToUserName>a</ToUserName>",  # cut off
        "<root><MsgType>text</MsgType></root>",  # not WeChat's root element
        xml("<Content>no type</Content><MsgId>1</MsgId>"),
        xml("<MsgType>text</MsgType><Content>x</Content>", head="<CreateTime>1</CreateTime>"),  # no sender
        xml("<MsgType>text</MsgType><Content>x</Content>").replace("1795000000", "yesterday"),
        xml("<MsgType>text</MsgType><Content>a</Content><Content>b</Content><MsgId>1</MsgId>"),  # repeated field
        xml("<MsgType>image</MsgType><MsgId>1</MsgId>"),  # no MediaId
        xml("<MsgType>location</MsgType><Location_X>north</Location_X><Location_Y>1</Location_Y><MsgId>1</MsgId>"),
        xml("<MsgType>location</MsgType><Location_X>95</Location_X><Location_Y>116</Location_Y><MsgId>1</MsgId>"),
        xml("<MsgType><a>nested</a></MsgType><MsgId>1</MsgId>"),
    ],
)
def test_malformed_bodies_are_refused(body: str) -> None:
    with pytest.raises(MalformedMessage):
        parse_event(body)
