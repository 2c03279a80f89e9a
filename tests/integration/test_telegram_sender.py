"""The Telegram sender: outbox messages become the right Bot API requests, Telegram's answers become outcomes.

A PTB ``Bot`` runs over a fake transport (``BaseRequest``, PTB's own extension point), so the real serialisation
and error mapping of the library are exercised without a network.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from telegram import Bot
from telegram.request import BaseRequest, RequestData

from channels.telegram.sender import TelegramSender
from models.cases import Photo
from models.uow import UnitOfWork
from models.users import User
from services.channels import Outgoing, RecipientBlocked, Rejected, RetryLater, TransientError
from services.context import Services
from services.delivery import deliver_due
from services.messages import Choice, Message, PhotoRef, Text, category, text
from services.outbox import enqueue_for
from tests.world import tg_user


class FakeTransport(BaseRequest):
    """Answers each Bot API call with the next scripted (status, body); records what was asked."""

    def __init__(self, answers: list[tuple[int, dict[str, Any]]] | None = None) -> None:
        self.answers = answers or []
        self.calls: list[tuple[str, dict[str, Any]]] = []

    @property
    def read_timeout(self) -> float | None:
        return 1.0

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    async def do_request(  # type: ignore[override]  # the timeouts are not used here
        self, url: str, method: str, request_data: RequestData | None = None, **_timeouts: Any
    ) -> tuple[int, bytes]:
        endpoint = url.rsplit("/", 1)[-1]
        params = {k: _decode(v) for k, v in (request_data.json_parameters if request_data else {}).items()}
        if endpoint == "getMe":
            me = {"id": 1, "is_bot": True, "first_name": "citybot", "username": "citybot_bot"}
            return 200, json.dumps({"ok": True, "result": me}).encode()
        self.calls.append((endpoint, params))
        status, body = self.answers.pop(0) if self.answers else (200, _message(len(self.calls)))
        return status, json.dumps(body).encode()


def _decode(value: str) -> Any:
    try:
        return json.loads(value)
    except ValueError:
        return value


def _message(message_id: int) -> dict[str, Any]:
    chat = {"id": 5, "type": "private", "first_name": "P"}
    return {"ok": True, "result": {"message_id": message_id, "date": 0, "chat": chat, "text": "x"}}


def _error(code: int, description: str, **parameters: Any) -> tuple[int, dict[str, Any]]:
    body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
    if parameters:
        body["parameters"] = parameters
    return code, body


@pytest.fixture
def fast(services: Services) -> Services:
    """Services whose pacer does not wait."""
    services.config.outbox.per_chat_interval_seconds = 0
    services.config.outbox.global_per_second = 1_000_000
    return services


async def sender(transport: FakeTransport, services: Services) -> TelegramSender:
    bot = Bot("1:fake", request=transport, get_updates_request=FakeTransport())
    await bot.initialize()
    return TelegramSender(bot, services)


def out(message: Message, *, replaces: list[str] | None = None, locale: str = "en") -> Outgoing:
    return Outgoing(1, "5", message, locale, "test", replaces)


CARD = Message(
    lines=(text("Case {number}: {category}", number="#1", category=category("0201")),),
    choices=((Choice(Text("Accept"), "case:accept:1"),),),
)


async def test_a_card_goes_out_in_the_readers_language_with_its_buttons(services: Services) -> None:
    transport = FakeTransport()
    adapter = await sender(transport, services)
    assert await adapter.deliver(out(CARD, locale="zh_CN")) == ["1"]
    endpoint, params = transport.calls[0]
    assert endpoint == "sendMessage" and params["text"] == "案件 #1：非法小广告（牛皮癣）"
    assert params["reply_markup"] == {"inline_keyboard": [[{"text": "接单", "callback_data": "case:accept:1"}]]}


async def test_a_token_over_64_bytes_is_left_out_not_sent(services: Services) -> None:
    transport = FakeTransport()
    adapter = await sender(transport, services)
    long = Message(lines=(Text.raw("pick"),), choices=((Choice(Text.raw("x"), "case:assign:1:" + "U" * 60),),))
    await adapter.deliver(out(long))
    assert transport.calls[0][1].get("reply_markup", {}) in ({}, {"inline_keyboard": []})  # no button to press


async def test_a_text_over_4096_utf16_units_is_split_at_line_ends(services: Services) -> None:
    transport = FakeTransport()
    adapter = await sender(transport, services)
    line = "📊" * 1000  # 2,000 UTF-16 units
    long = Message(lines=(Text.raw(line), Text.raw(line), Text.raw(line)), choices=CARD.choices)
    ids = await adapter.deliver(out(long))
    assert len(ids) == 2
    first, second = (params for _endpoint, params in transport.calls)
    assert first["text"] == f"{line}\n{line}" and "reply_markup" not in first
    assert second["text"] == line and second["reply_markup"]["inline_keyboard"]  # the buttons on the last part


async def test_a_chart_with_a_long_report_keeps_its_title_and_sends_the_report_after(
    fast: Services, tmp_path: Path
) -> None:
    chart = tmp_path / "chart.png"
    Image.new("RGB", (8, 8)).save(chart)
    chat = {"id": 5, "type": "private", "first_name": "P"}
    photo = [{"file_id": "uploaded", "file_unique_id": "u", "width": 8, "height": 8}]
    sent = {"ok": True, "result": {"message_id": 3, "date": 0, "chat": chat, "photo": photo}}
    transport = FakeTransport([(200, sent)])
    adapter = await sender(transport, fast)
    report = "Weekly report 2026-W47\n" + "x" * 1500
    ids = await adapter.deliver(out(Message(lines=(Text.raw(report),), photos=(PhotoRef(path=str(chart)),))))
    assert ids == ["3", "2"]
    (photo_call, photo_params), (text_call, text_params) = transport.calls
    assert photo_call == "sendPhoto" and photo_params["caption"] == "Weekly report 2026-W47"
    assert text_call == "sendMessage" and text_params["text"] == report


async def test_an_album_returns_every_id(services: Services, tmp_path: Path) -> None:
    chat = {"id": 5, "type": "private", "first_name": "P"}
    result: list[dict[str, Any]] = [{"message_id": n, "date": 0, "chat": chat, "photo": []} for n in (7, 8)]
    transport = FakeTransport([(200, {"ok": True, "result": result})])
    adapter = await sender(transport, services)
    pictures = []
    for name in ("a", "b"):
        Image.new("RGB", (8, 8)).save(tmp_path / f"{name}.png")
        pictures.append(PhotoRef(path=str(tmp_path / f"{name}.png")))
    album = Message(lines=(Text.raw("before"),), photos=tuple(pictures))
    assert await adapter.deliver(out(album)) == ["7", "8"]
    assert transport.calls[0][0] == "sendMediaGroup"


async def test_a_replacement_edits_the_delivered_message(services: Services) -> None:
    transport = FakeTransport()
    adapter = await sender(transport, services)
    await adapter.deliver(out(Message(lines=(Text.raw("taken by Wang"),)), replaces=["42"]))
    endpoint, params = transport.calls[0]
    assert endpoint == "editMessageText" and params["message_id"] == 42 and params["text"] == "taken by Wang"


@pytest.mark.parametrize(
    ("answer", "outcome"),
    [
        (_error(429, "Too Many Requests: retry after 9", retry_after=9), RetryLater),
        (_error(403, "Forbidden: bot was blocked by the user"), RecipientBlocked),
        (_error(400, "Bad Request: wrong file identifier"), Rejected),
        (_error(500, "Internal Server Error"), TransientError),
        (_error(502, "Bad Gateway"), TransientError),
    ],
)
async def test_telegrams_answers_become_delivery_outcomes(
    answer: tuple[int, dict[str, Any]], outcome: type, services: Services
) -> None:
    adapter = await sender(FakeTransport([answer]), services)
    with pytest.raises(outcome) as caught:
        await adapter.deliver(out(Message(lines=(Text.raw("hi"),))))
    if isinstance(caught.value, RetryLater):
        assert caught.value.seconds == 9


async def test_an_edit_that_changes_nothing_counts_as_done(services: Services) -> None:
    answer = _error(400, "Bad Request: message is not modified: specified new message content is the same")
    adapter = await sender(FakeTransport([answer]), services)
    assert await adapter.deliver(out(Message(lines=(Text.raw("same"),)), replaces=["1"])) == ["1"]


async def test_a_queued_notice_is_read_in_the_language_the_person_has_when_it_is_sent(fast: Services) -> None:
    async with UnitOfWork(fast.db) as uow:
        person = tg_user(5, first_name="Li", telegram_language="en")
        uow.session.add(person)
        await uow.session.flush()
        news = Message(lines=(text("Report {number} is closed. Thank you for helping your city!", number="#9"),))
        await enqueue_for(uow.session, person, news, kind="case_status", now=fast.clock.now())
        await uow.commit()
    async with UnitOfWork(fast.db) as uow:  # they switch to Chinese with /lang before the sender gets to it
        found = await uow.session.get(User, person.id)
        assert found is not None
        found.language = "zh_CN"
        await uow.commit()
    transport = FakeTransport()
    assert await deliver_due(fast, await sender(transport, fast)) == 1
    (endpoint, params), *_ = transport.calls
    assert endpoint == "sendMessage" and params["chat_id"] == 5
    assert params["text"] == "您的上报 #9 已结案。感谢您为城市出力！"


async def test_another_channels_picture_goes_as_its_kept_copy_and_one_without_a_copy_is_left_out(
    services: Services,
) -> None:
    chat = {"id": 5, "type": "private", "first_name": "P"}
    services.data_dir.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (8, 8)).save(services.data_dir / "kept.jpg")
    async with UnitOfWork(services.db) as uow:
        now = services.clock.now()
        kept = Photo(channel="wechat", file_id="wx-media-1", local_path="kept.jpg", created_at=now)
        lost = Photo(channel="wechat", file_id="wx-media-2", created_at=now)
        uow.session.add_all([kept, lost])
        await uow.commit()
    sent = {"message_id": 9, "date": 0, "chat": chat, "photo": []}
    transport = FakeTransport([(200, {"ok": True, "result": sent})])
    adapter = await sender(transport, services)
    both = Message(lines=(Text.raw("fixed?"),), photos=(PhotoRef(photo_id=kept.id), PhotoRef(photo_id=lost.id)))
    assert await adapter.deliver(out(both)) == ["9"]
    endpoint, params = transport.calls[0]
    assert endpoint == "sendPhoto" and params["caption"] == "fixed?"  # one picture: the kept copy, uploaded
    assert "wx-media" not in json.dumps(params)

    alone = Message(lines=(Text.raw("fixed?"),), photos=(PhotoRef(photo_id=lost.id),))
    await adapter.deliver(out(alone))
    assert transport.calls[1][0] == "sendMessage" and transport.calls[1][1]["text"] == "fixed?"
