"""The Telegram adapter: outbox JSON becomes the right Bot API request, Telegram's answers become outcomes.

A PTB ``Bot`` runs over a fake transport (``BaseRequest``, PTB's own extension point), so the real serialisation
and error mapping of the library are exercised without a network.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from telegram import Bot
from telegram.request import BaseRequest, RequestData

from scheduler.outbox import TelegramBotApi
from services.delivery import RecipientBlocked, Rejected, RetryLater, TransientError, as_bot_api


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


async def api(transport: FakeTransport) -> TelegramBotApi:
    bot = Bot("1:fake", request=transport, get_updates_request=FakeTransport())
    await bot.initialize()
    return TelegramBotApi(bot)


async def test_a_ptb_bot_is_wrapped_by_the_registered_adapter() -> None:
    bot = Bot("1:fake", request=FakeTransport(), get_updates_request=FakeTransport())
    assert isinstance(as_bot_api(bot), TelegramBotApi)
    with pytest.raises(TypeError):
        as_bot_api(object())


async def test_a_card_goes_out_with_its_inline_keyboard() -> None:
    transport = FakeTransport()
    adapter = await api(transport)
    keyboard = {"inline_keyboard": [[{"text": "Accept", "callback_data": "case:accept:1"}]]}
    ids = await adapter.call("sendMessage", {"chat_id": 5, "text": "Case #1", "reply_markup": keyboard})
    assert ids == [1]
    endpoint, params = transport.calls[0]
    assert endpoint == "sendMessage" and params["text"] == "Case #1"
    assert params["reply_markup"] == keyboard


async def test_an_album_becomes_input_media_and_returns_every_id() -> None:
    chat = {"id": 5, "type": "private", "first_name": "P"}
    result: list[dict[str, Any]] = [{"message_id": n, "date": 0, "chat": chat, "photo": []} for n in (7, 8)]
    transport = FakeTransport([(200, {"ok": True, "result": result})])
    adapter = await api(transport)
    media = [{"type": "photo", "media": "file-a", "caption": "before"}, {"type": "photo", "media": "file-b"}]
    assert await adapter.call("sendMediaGroup", {"chat_id": 5, "media": media}) == [7, 8]
    endpoint, params = transport.calls[0]
    assert endpoint == "sendMediaGroup"
    assert [(m["type"], m["media"]) for m in params["media"]] == [("photo", "file-a"), ("photo", "file-b")]
    assert params["media"][0]["caption"] == "before"


async def test_an_edit_reaches_the_message_it_names() -> None:
    transport = FakeTransport()
    adapter = await api(transport)
    await adapter.call("editMessageText", {"chat_id": 5, "message_id": 42, "text": "taken by Wang"})
    assert transport.calls[0] == ("editMessageText", {"chat_id": 5, "message_id": 42, "text": "taken by Wang"})


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
async def test_telegrams_answers_become_delivery_outcomes(answer: tuple[int, dict[str, Any]], outcome: type) -> None:
    adapter = await api(FakeTransport([answer]))
    with pytest.raises(outcome) as caught:
        await adapter.call("sendMessage", {"chat_id": 5, "text": "hi"})
    if isinstance(caught.value, RetryLater):
        assert caught.value.seconds == 9


async def test_an_edit_that_changes_nothing_counts_as_done() -> None:
    answer = _error(400, "Bad Request: message is not modified: specified new message content is the same")
    adapter = await api(FakeTransport([answer]))
    assert await adapter.call("editMessageText", {"chat_id": 5, "message_id": 1, "text": "same"}) == []
