"""Posting users' messages to the bot's callback as WeChat does, and reading its answers.

A message is signed (and in safe mode encrypted), posted, and posted again with the same query and body when
no answer came within the timeout, up to three tries. An answer is a passive reply shown to the user, or
``success``/empty (nothing shown); anything else shows the user WeChat's "service unavailable" notice.
"""

from __future__ import annotations

import itertools
import secrets
import xml.etree.ElementTree as ET
from typing import Any

import aiohttp

from sandbox.wechat import crypto
from sandbox.wechat.state import JSON, UNAVAILABLE, Follower, WeChatState, WxError

_post_ids = itertools.count(1)


def cdata(value: str) -> str:
    """``value`` as a CDATA section, a ``]]>`` inside it split across two sections."""
    return "<![CDATA[" + value.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def message_xml(state: WeChatState, user: Follower, msg_type: str, fields: dict[str, Any]) -> str:
    """The XML WeChat posts for a message or event of ``user``; numbers bare, text in CDATA, None left out."""
    head: dict[str, Any] = {
        "ToUserName": state.account.original_id,
        "FromUserName": user.openid,
        "CreateTime": int(state.clock.now().timestamp()),
        "MsgType": msg_type,
    }
    parts = []
    for name, value in {**head, **fields}.items():
        if value is None:
            continue
        text = str(value) if isinstance(value, int | float) else cdata(str(value))
        parts.append(f"<{name}>{text}</{name}>")
    return "<xml>" + "".join(parts) + "</xml>"


class Poster:
    """Delivers posts to the account's callback URL and records each one with its tries and outcome."""

    def __init__(self, state: WeChatState) -> None:
        self._state = state
        self._session: aiohttp.ClientSession | None = None

    async def close(self) -> None:
        """Close the HTTP session."""
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def post(self, user: Follower, kind: str, xml: str) -> JSON:
        """Sign (and encrypt) ``xml``, post it with WeChat's retries, and record what the user was shown."""
        account = self._state.account
        timestamp, nonce = str(int(self._state.clock.now().timestamp())), secrets.token_hex(5)
        query = {"signature": crypto.sign(account.token, timestamp, nonce), "timestamp": timestamp, "nonce": nonce}
        query["openid"] = user.openid
        body = xml
        if account.aes_key:
            encrypted = crypto.encrypt(account.aes_key, account.app_id, xml)
            body = (
                f"<xml><ToUserName>{cdata(account.original_id)}</ToUserName><Encrypt>{cdata(encrypted)}</Encrypt></xml>"
            )
            query |= {"encrypt_type": "aes", "msg_signature": crypto.sign(account.token, timestamp, nonce, encrypted)}
        record: JSON = {
            "id": next(_post_ids),
            "user": user.openid,
            "kind": kind,
            "xml": xml,
            "query": query,
            "body": body,
        }
        self._state.posts.append(record)
        return await self._deliver(user, record)

    async def replay(self, record: JSON) -> JSON:
        """Post an earlier post's exact query and body again (a retry whose first answer was lost)."""
        again = {**record, "id": next(_post_ids), "replay_of": record["id"]}
        self._state.posts.append(again)
        return await self._deliver(self._state.user(record["user"]), again)

    async def _deliver(self, user: Follower, record: JSON) -> JSON:
        url = self._state.account.callback_url
        attempts: list[JSON] = []
        record["attempts"] = attempts
        if not url:
            # Without a server configured, WeChat keeps messages for the account's web console: nobody answers.
            record |= {"outcome": "no callback", "answer": "", "shown": []}
            return record
        status, answer = None, ""
        user.posts_in_flight += 1
        shown: list[JSON] = []
        try:
            for _ in range(self._state.limits.tries):
                started = self._state.clock.now()
                try:
                    status, answer = await self._send(url, record["query"], record["body"])
                except (TimeoutError, aiohttp.ClientError) as exc:
                    attempts.append({"status": None, "error": type(exc).__name__, "started": started.isoformat()})
                    continue
                attempts.append({"status": status, "error": None, "started": started.isoformat()})
                break
            shown, record["outcome"] = self._read_answer(user, record, status, answer)
        finally:
            self._state.post_finished(user, shown)
        record["answer"] = answer
        record["shown"] = shown
        return record

    async def _send(self, url: str, query: dict[str, str], body: str) -> tuple[int, str]:
        if self._session is None:
            self._session = aiohttp.ClientSession()
        timeout = aiohttp.ClientTimeout(total=self._state.limits.reply_timeout)
        headers = {"Content-Type": "text/xml; charset=utf-8"}
        async with self._session.post(url, params=query, data=body.encode(), headers=headers, timeout=timeout) as resp:
            return resp.status, await resp.text()

    def _read_answer(self, user: Follower, record: JSON, status: int | None, answer: str) -> tuple[list[JSON], str]:
        """What the user is shown for the callback's answer, and a word for the post's outcome."""
        if status is None:
            return [_notice()], "no answer"
        if status != 200:
            return [_notice()], f"HTTP {status}"
        if answer.strip() in ("", "success"):
            return [], "success"
        try:
            reply = self._open_reply(answer, encrypted="encrypt_type" in record["query"])
            entry = self._reply_entry(user, reply)
        except (ET.ParseError, crypto.CryptoError, ValueError, WxError) as exc:
            return [_notice()], f"bad reply: {exc}"
        return [entry], "passive reply"

    def _open_reply(self, answer: str, *, encrypted: bool) -> ET.Element:
        root = ET.fromstring(answer)
        if not encrypted:
            return root
        account = self._state.account
        assert account.aes_key is not None
        fields = {name: root.findtext(name) or "" for name in ("Encrypt", "MsgSignature", "TimeStamp", "Nonce")}
        if not fields["Encrypt"]:
            raise ValueError("a safe-mode reply must be encrypted")
        expected = crypto.sign(account.token, fields["TimeStamp"], fields["Nonce"], fields["Encrypt"])
        if fields["MsgSignature"] != expected:
            raise ValueError("the reply's MsgSignature is wrong")
        return ET.fromstring(crypto.decrypt(account.aes_key, account.app_id, fields["Encrypt"]))

    def _reply_entry(self, user: Follower, reply: ET.Element) -> JSON:
        if reply.findtext("ToUserName") != user.openid:
            raise ValueError(f"the reply is addressed to {reply.findtext('ToUserName')!r}")
        if reply.findtext("FromUserName") != self._state.account.original_id:
            raise ValueError("the reply does not come from the account")
        msg_type = reply.findtext("MsgType")
        if msg_type == "text":
            return {"via": "passive", "msgtype": "text", "text": reply.findtext("Content") or ""}
        if msg_type == "image":
            media_id = reply.findtext("Image/MediaId") or ""
            self._state.get_media(media_id)
            return {"via": "passive", "msgtype": "image", "media_id": media_id}
        raise ValueError(f"the sandbox does not show {msg_type!r} replies")


def _notice() -> JSON:
    return {"via": "notice", "msgtype": "notice", "text": UNAVAILABLE}
