"""Signatures and safe-mode encryption of the callback, done by wechatpy.

Every request is signed with ``[token, timestamp, nonce]`` (query ``signature``); safe mode (``encrypt_type=aes``)
also signs ``[token, timestamp, nonce, Encrypt]`` (query ``msg_signature``) and encrypts the message and the reply
with the EncodingAESKey. A request is answered in the mode it came in.
"""

from __future__ import annotations

import binascii
import secrets
import struct
from collections.abc import Mapping
from xml.parsers.expat import ExpatError

from wechatpy.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidAppIdException, InvalidSignatureException
from wechatpy.utils import check_signature

from channels.wechat.parsing import MalformedMessage
from channels.wechat.settings import WeChatSettings


class BadSignature(Exception):
    """The request was not signed with the account's token (or was meant for another account)."""


class Envelope:
    """Checks and opens what WeChat posts, and seals the passive reply."""

    def __init__(self, settings: WeChatSettings) -> None:
        self._token = settings.token
        self._crypto = WeChatCrypto(settings.token, settings.aes_key, settings.app_id) if settings.aes_key else None

    def check_url(self, query: Mapping[str, str]) -> str:
        """The ``echostr`` to answer WeChat's URL verification with; ``BadSignature`` unless signed by our token."""
        self.check_signature(query)
        return query.get("echostr", "")

    def check_signature(self, query: Mapping[str, str]) -> None:
        """Raise ``BadSignature`` unless ``signature`` is SHA-1 of the sorted token, timestamp and nonce."""
        signature, timestamp, nonce = query.get("signature"), query.get("timestamp"), query.get("nonce")
        if not (signature and timestamp and nonce):
            raise BadSignature("signature, timestamp and nonce are required")
        try:
            check_signature(self._token, signature, timestamp, nonce)
        except InvalidSignatureException as exc:
            raise BadSignature("wrong signature") from exc

    @staticmethod
    def is_encrypted(query: Mapping[str, str]) -> bool:
        """Whether the request is in safe mode."""
        return query.get("encrypt_type", "raw").lower() == "aes"

    def open(self, query: Mapping[str, str], body: bytes) -> str:
        """The message XML of a POST, verified (and decrypted in safe mode)."""
        # WeChat signs the query in both modes, so a forged post is refused before anything reads its body.
        self.check_signature(query)
        if not self.is_encrypted(query):
            try:
                return body.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise MalformedMessage("the body is not UTF-8") from exc
        if self._crypto is None:
            # WeChat and this process disagree about the mode: nothing here can read the message.
            raise MalformedMessage("an encrypted message arrived but CITYBOT_WECHAT_AES_KEY is not set")
        signature, timestamp, nonce = query.get("msg_signature"), query.get("timestamp"), query.get("nonce")
        if not (signature and timestamp and nonce):
            raise BadSignature("msg_signature, timestamp and nonce are required in safe mode")
        try:
            return str(self._crypto.decrypt_message(body, signature, timestamp, nonce))
        except InvalidSignatureException as exc:
            raise BadSignature("wrong msg_signature") from exc
        except InvalidAppIdException as exc:
            raise BadSignature("the message was encrypted for another AppID") from exc
        except (ExpatError, KeyError, TypeError, ValueError, binascii.Error, struct.error, IndexError) as exc:
            # ValueError covers UnicodeDecodeError and a ciphertext that is not whole AES blocks.
            raise MalformedMessage(f"cannot decrypt the message: {exc!r}") from exc

    def seal(self, reply_xml: str, query: Mapping[str, str], timestamp: int) -> str:
        """The HTTP body for a passive reply: encrypted and signed when the request was."""
        if self._crypto is None or not self.is_encrypted(query):
            return reply_xml
        return str(self._crypto.encrypt_message(reply_xml, secrets.token_hex(8), str(timestamp)))
