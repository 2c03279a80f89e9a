"""The account's callback, ``/wechat``: verify, decrypt, parse, deduplicate, and answer within WeChat's 5 seconds.

Each message becomes a plain event for the injected ``handler``, whose texts are the answer: the first goes back
as the passive reply (the HTTP answer itself), the rest through the customer-service API once that answer is
sent. A handler slower than the reply budget gets ``success`` answered for it, and everything it says goes
through the API when it is done. A wrong signature is refused with 403 and malformed XML with 400, before
anything is recorded; a redelivered message (same ``MsgId``) the handler took in (it claims the key with what the
message changed) is answered ``success`` and not handled again.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence

from aiohttp import web

from channels.wechat.api import WeChatApi
from channels.wechat.envelope import BadSignature, Envelope
from channels.wechat.errors import OutsideWindow, TooManyMessages, UserUnsubscribed, WeChatApiError
from channels.wechat.events import InboundEvent
from channels.wechat.parsing import MalformedMessage, parse_event
from channels.wechat.replies import SUCCESS, passive_text, split_text
from channels.wechat.settings import CALLBACK_PATH, WeChatSettings
from models.receipts import ReceiptBook
from services.clock import Clock

log = logging.getLogger(__name__)

#: Something to send after the texts before it (a ``msgmenu``): called in order once the answer is out.
Deferred = Callable[[], Awaitable[None]]
Handler = Callable[[InboundEvent], Awaitable[Sequence[str | Deferred]]]
#: Told about texts the API could not deliver (user, the texts not sent, why), e.g. to queue them for later.
Undelivered = Callable[[str, list[str], WeChatApiError], Awaitable[None]]
CHANNEL = "wechat"
#: Errors after which the remaining texts cannot reach the user now, so sending them one by one is pointless.
_STOP_SENDING = (OutsideWindow, TooManyMessages, UserUnsubscribed)


class WeChatCallback:
    """The callback of one account: ``app()`` serves it, ``close()`` waits for the sends still running."""

    def __init__(
        self,
        settings: WeChatSettings,
        handler: Handler,
        api: WeChatApi,
        receipts: ReceiptBook,
        clock: Clock,
        *,
        on_undelivered: Undelivered | None = None,
    ) -> None:
        self._settings = settings
        self._handler = handler
        self._api = api
        self._receipts = receipts
        self._clock = clock
        self._on_undelivered = on_undelivered or _log_undelivered
        self._envelope = Envelope(settings)
        self._background: set[asyncio.Task[None]] = set()

    def app(self) -> web.Application:
        """An aiohttp application serving ``GET`` and ``POST /wechat``."""
        app = web.Application(client_max_size=1024 * 1024)
        app.router.add_get(CALLBACK_PATH, self.verify)
        app.router.add_post(CALLBACK_PATH, self.receive)
        app.on_cleanup.append(lambda _app: self.close())
        return app

    async def verify(self, request: web.Request) -> web.Response:
        """WeChat's URL check when the server is configured: echo ``echostr`` if the signature is ours."""
        try:
            echostr = self._envelope.check_url(request.query)
        except BadSignature as exc:
            log.warning("wechat: URL verification refused: %s", exc)
            return web.Response(status=403, text="wrong signature")
        return web.Response(text=echostr)

    async def receive(self, request: web.Request) -> web.StreamResponse:
        """Take one message: answer with a passive reply or ``success`` before the budget runs out."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._settings.reply_budget
        body = await request.read()
        try:
            event = parse_event(self._envelope.open(request.query, body))
        except BadSignature as exc:
            log.warning("wechat: message refused: %s", exc)
            return web.Response(status=403, text="wrong signature")
        except MalformedMessage as exc:
            log.warning("wechat: malformed message: %s", exc)
            return web.Response(status=400, text="malformed message")
        # The handler claims the key in the transaction of what the message changes; a message taken in already
        # is answered here without handling it again.
        if await self._receipts.seen(event.dedupe_key, self._clock.now()):
            log.info("wechat: %s was already taken in; answering success", event.dedupe_key)
            return web.Response(text=SUCCESS)
        handling: asyncio.Future[Sequence[str | Deferred]] = asyncio.ensure_future(self._handler(event))
        done, _ = await asyncio.wait({handling}, timeout=max(0.0, deadline - loop.time()))
        if not done:
            log.info(
                "wechat: %s is taking longer than %.1f s; answering success",
                event.dedupe_key,
                self._settings.reply_budget,
            )
            self._spawn(self._answer_late(event, handling))
            return web.Response(text=SUCCESS)
        try:
            texts = _pieces(handling.result())
        except Exception:
            log.exception("wechat: handling %s failed; WeChat will post it again", event.dedupe_key)
            return web.Response(status=500, text="failed")
        if not texts:
            return web.Response(text=SUCCESS)
        if not isinstance(texts[0], str):
            self._spawn(self._send(event.user, texts))
            return web.Response(text=SUCCESS)
        xml = passive_text(event.account, event.user, texts[0], self._timestamp())
        response = web.Response(
            text=self._envelope.seal(xml, request.query, self._timestamp()), content_type="application/xml"
        )
        if len(texts) > 1:
            # The passive reply goes out first, so the user reads the texts in order.
            await response.prepare(request)
            await response.write_eof()
            self._spawn(self._send(event.user, texts[1:]))
        return response

    async def close(self, grace: float = 10.0) -> None:
        """Wait for background sends to finish (at most ``grace`` seconds), then cancel what is left."""
        if not self._background:
            return
        _, pending = await asyncio.wait(set(self._background), timeout=grace)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)

    async def _answer_late(self, event: InboundEvent, handling: asyncio.Future[Sequence[str | Deferred]]) -> None:
        try:
            texts = _pieces(await handling)
        except Exception:
            # WeChat was told "success" and will not post again: there is nobody left to retry.
            log.exception("wechat: handling %s failed after the reply budget", event.dedupe_key)
            return
        await self._send(event.user, texts)

    async def _send(self, user: str, texts: Sequence[str | Deferred]) -> None:
        for index, text in enumerate(texts):
            try:
                if isinstance(text, str):
                    await self._api.send_text(user, text)
                else:
                    await text()
            except _STOP_SENDING as exc:
                await self._on_undelivered(user, [t for t in texts[index:] if isinstance(t, str)], exc)
                return
            except WeChatApiError as exc:
                if isinstance(text, str):
                    await self._on_undelivered(user, [text], exc)
                else:
                    log.warning("wechat: a follow-up to %s was not delivered: %s", user, exc)

    def _spawn(self, work: Awaitable[None]) -> None:
        task = asyncio.ensure_future(work)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    def _timestamp(self) -> int:
        return int(self._clock.now().timestamp())


def _pieces(texts: Sequence[str | Deferred]) -> list[str | Deferred]:
    """The handler's texts, blank ones dropped and long ones split to WeChat's limit; follow-ups kept in place."""
    pieces: list[str | Deferred] = []
    for text in texts:
        if not isinstance(text, str):
            pieces.append(text)
        elif text.strip():
            pieces += split_text(text)
    return pieces


async def _log_undelivered(user: str, texts: list[str], error: WeChatApiError) -> None:
    log.warning("wechat: %d message(s) to %s not delivered: %s", len(texts), user, error)
