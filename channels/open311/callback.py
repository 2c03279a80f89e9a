"""Status updates posted to an Open311 client's callback URL: the outbox sender of the "open311" channel.

An API key made with ``citybot apikeys add --callback URL`` files its cases as a reporter whose contact is this
channel (address: the key's id), so every status notice its cases cause is queued in the outbox like a chat
reporter's. This sender does not post the notice's words: it posts the case as the API publishes it at delivery
time (``service_request_id``, ``status``, ``status_notes``, ``service_code``, ``updated_datetime``), the record a
client would read by polling ``GET /requests/{id}``. A notice that only carries pictures (the before/after photos
that come with the "resolved" question) posts nothing: the question right behind it reports the same change.

Outcomes: 2xx delivered; 408, 429, 5xx, timeouts and connection trouble are retried (``Retry-After`` is honoured);
any other answer, a revoked key or a key without a URL fail the row at once.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import aiohttp

from channels.open311.resources import CLOSED, status_notes, w3
from services.apikeys import KeyInfo, key_by_id
from services.channels import Outgoing, Rejected, RetryLater, TransientError
from services.context import Services
from services.filing import CLIENT_CHANNEL
from services.i18n import Translator
from services.public_cases import CaseFilter, PublicCase, list_cases

log = logging.getLogger(__name__)

#: Header naming the key whose case the update is about (the client may hold several keys).
CLIENT_HEADER = "X-Open311-Client"
#: Header with the outbox row's id: the same update posted twice (a crash mid-call) carries the same id.
DELIVERY_HEADER = "X-Citybot-Delivery"
#: Answers worth trying again: the client is busy, overloaded or down for a moment.
RETRY_STATUSES = frozenset({408, 425, 429})
#: The longest a client may take to answer one post.
TIMEOUT = aiohttp.ClientTimeout(total=10, connect=5)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class Open311CallbackSender:
    """Posts a case's published state to its filing client's callback URL."""

    channel = CLIENT_CHANNEL

    def __init__(self, services: Services, *, gap: float = 0.2) -> None:
        self._services = services
        self._gap = gap
        self._session: aiohttp.ClientSession | None = None

    def interval(self, address: str) -> float:
        """A short gap between two posts to the same client."""
        return self._gap

    async def close(self) -> None:
        """Close the HTTP connections (the process is stopping)."""
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def deliver(self, item: Outgoing) -> list[str]:
        """Post the case's state to the client's URL; returns the HTTP status as the delivered id."""
        if item.message.photos:
            return []
        key = await self._key(item.address)
        if key is None or key.revoked_at is not None or not key.callback_url:
            raise Rejected(f"API key {item.address} is revoked, unknown or has no callback URL")
        if item.case_id is None:
            raise Rejected("a status update without a case")
        case = await self._case(item.case_id)
        if case is None:
            raise Rejected(f"case {item.case_id} does not exist")
        body = self.record(case, Translator(item.locale))
        headers = {CLIENT_HEADER: key.name, DELIVERY_HEADER: str(item.row_id)}
        try:
            async with self._client().post(key.callback_url, json=body, headers=headers) as answer:
                status, retry_after = answer.status, answer.headers.get("Retry-After")
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise TransientError(f"callback {key.callback_url}: {type(exc).__name__} {exc}".strip()) from exc
        check_answer(status, retry_after, key.callback_url)
        return [str(status)]

    def record(self, case: PublicCase, t: Translator) -> dict[str, str | None]:
        """The posted body: the fields of ``GET /requests/{id}`` that say what changed."""
        return {
            "service_request_id": str(case.id),
            "status": "closed" if case.status in CLOSED else "open",
            "status_notes": status_notes(case, t),
            "service_code": case.category,
            "updated_datetime": w3(case.updated_at, self._services.tz),
        }

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=TIMEOUT, headers={"User-Agent": "citybot-open311"})
        return self._session

    async def _key(self, address: str) -> KeyInfo | None:
        return await key_by_id(self._services, int(address)) if address.isascii() and address.isdigit() else None

    async def _case(self, case_id: int) -> PublicCase | None:
        found = await list_cases(self._services, CaseFilter(start=_EPOCH, end=_EPOCH, ids=(case_id,), limit=1))
        return found[0] if found else None


def check_answer(status: int, retry_after: str | None, url: str) -> None:
    """Nothing for a delivered post; raises what the outbox should do with any other answer."""
    if 200 <= status < 300:
        return
    if status in RETRY_STATUSES or status >= 500:
        if retry_after is not None and retry_after.strip().isascii() and retry_after.strip().isdigit():
            raise RetryLater(float(retry_after.strip()))
        raise TransientError(f"callback {url} answered {status}")
    raise Rejected(f"callback {url} answered {status}")
