"""WeChat's signatures and message encryption, written from the published format rather than with wechatpy.

The bot uses wechatpy; the sandbox has its own implementation so that a test passing means the two agree with
the format, not merely with the same library: SHA-1 of the sorted parts; AES-256-CBC with key
base64(EncodingAESKey + "="), IV = key[:16], plaintext = 16 random bytes + 4-byte big-endian length + XML +
AppID, PKCS#7-padded to a multiple of 32 bytes, the result base64.
"""

from __future__ import annotations

import base64
import hashlib
import os
import struct

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

_BLOCK = 32


class CryptoError(ValueError):
    """A ciphertext that does not decrypt to a well-formed message for this AppID."""


def sign(*parts: str) -> str:
    """WeChat's signature: SHA-1 hex of the parts sorted and joined."""
    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()


def _cipher(aes_key: str) -> Cipher[modes.CBC]:
    key = base64.b64decode(aes_key + "=")
    return Cipher(algorithms.AES(key), modes.CBC(key[:16]))


def encrypt(aes_key: str, app_id: str, xml: str) -> str:
    """The ``Encrypt`` value carrying ``xml`` for ``app_id``."""
    body = xml.encode()
    plain = os.urandom(16) + struct.pack(">I", len(body)) + body + app_id.encode()
    pad = _BLOCK - len(plain) % _BLOCK
    plain += bytes([pad]) * pad
    encryptor = _cipher(aes_key).encryptor()
    return base64.b64encode(encryptor.update(plain) + encryptor.finalize()).decode()


def decrypt(aes_key: str, app_id: str, encrypted: str) -> str:
    """The XML inside an ``Encrypt`` value; ``CryptoError`` if it is damaged or meant for another AppID."""
    try:
        data = base64.b64decode(encrypted, validate=True)
        decryptor = _cipher(aes_key).decryptor()
        plain = decryptor.update(data) + decryptor.finalize()
    except ValueError as exc:
        raise CryptoError(f"not an AES ciphertext: {exc}") from exc
    pad = plain[-1] if plain else 0
    if not 1 <= pad <= _BLOCK or plain[-pad:] != bytes([pad]) * pad:
        raise CryptoError("bad PKCS#7 padding")
    plain = plain[:-pad]
    (length,) = struct.unpack(">I", plain[16:20])
    body, sender = plain[20 : 20 + length], plain[20 + length :]
    if sender != app_id.encode():
        raise CryptoError(f"encrypted for {sender!r}, not {app_id!r}")
    try:
        return body.decode()
    except UnicodeDecodeError as exc:
        raise CryptoError("the message is not UTF-8") from exc
