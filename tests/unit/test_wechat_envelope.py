"""Signatures, safe mode and passive replies, checked against the sandbox's own implementation of the format."""

from __future__ import annotations

import base64
import xml.etree.ElementTree as ET

import pytest

from channels.wechat.envelope import BadSignature, Envelope
from channels.wechat.parsing import MalformedMessage
from channels.wechat.replies import TEXT_LIMIT_BYTES, passive_text, split_text
from channels.wechat.settings import InvalidWeChatSettings, WeChatSettings
from sandbox.wechat import crypto

AES_KEY = base64.b64encode(bytes(range(32))).decode().rstrip("=")
PLAIN = WeChatSettings(app_id="wxcity", app_secret="secret", token="tok3n")
SAFE = WeChatSettings(app_id="wxcity", app_secret="secret", token="tok3n", aes_key=AES_KEY)
MESSAGE = "<xml><ToUserName>gh</ToUserName><FromUserName>oU</FromUserName><CreateTime>1</CreateTime></xml>"


def signed(**extra: str) -> dict[str, str]:
    return {
        "timestamp": "1795000000",
        "nonce": "n0nce",
        "signature": crypto.sign("tok3n", "1795000000", "n0nce"),
        **extra,
    }


def test_a_right_signature_opens_a_plaintext_message_and_echoes_echostr() -> None:
    envelope = Envelope(PLAIN)
    assert envelope.open(signed(), MESSAGE.encode()) == MESSAGE
    assert envelope.check_url(signed(echostr="8172634")) == "8172634"


@pytest.mark.parametrize(
    "query",
    [
        signed(signature="0" * 40),
        {**signed(), "nonce": "other"},  # the signature covered another nonce
        {"timestamp": "1795000000", "nonce": "n0nce"},
        {},
    ],
)
def test_a_wrong_or_missing_signature_is_refused(query: dict[str, str]) -> None:
    with pytest.raises(BadSignature):
        Envelope(PLAIN).open(query, MESSAGE.encode())
    with pytest.raises(BadSignature):
        Envelope(PLAIN).check_url({**query, "echostr": "x"})


def safe_post(xml: str, *, app_id: str = "wxcity", token: str = "tok3n") -> tuple[dict[str, str], bytes]:
    encrypted = crypto.encrypt(AES_KEY, app_id, xml)
    query = signed(encrypt_type="aes", msg_signature=crypto.sign(token, "1795000000", "n0nce", encrypted))
    return query, f"<xml><ToUserName>gh</ToUserName><Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>".encode()


def test_safe_mode_decrypts_what_the_format_encrypts_and_the_reply_decrypts_back() -> None:
    envelope = Envelope(SAFE)
    query, body = safe_post(MESSAGE)
    assert envelope.open(query, body) == MESSAGE

    reply = passive_text("gh", "oU", "收到，谢谢！", 1795000001)
    sealed = ET.fromstring(envelope.seal(reply, query, 1795000001))
    encrypted, nonce = sealed.findtext("Encrypt") or "", sealed.findtext("Nonce") or ""
    assert sealed.findtext("TimeStamp") == "1795000001"
    assert sealed.findtext("MsgSignature") == crypto.sign("tok3n", "1795000001", nonce, encrypted)
    assert ET.fromstring(crypto.decrypt(AES_KEY, "wxcity", encrypted)).findtext("Content") == "收到，谢谢！"


def test_a_plaintext_request_gets_a_plaintext_reply_even_with_a_key() -> None:
    reply = passive_text("gh", "oU", "hi", 1)
    assert Envelope(SAFE).seal(reply, signed(), 1) == reply


def test_safe_mode_refuses_a_wrong_msg_signature_and_another_accounts_message() -> None:
    query, body = safe_post(MESSAGE, token="not-our-token")
    with pytest.raises(BadSignature):
        Envelope(SAFE).open(query, body)
    query, body = safe_post(MESSAGE, app_id="wxsomeoneelse")
    with pytest.raises(BadSignature):
        Envelope(SAFE).open(query, body)
    query, body = safe_post(MESSAGE)
    with pytest.raises(BadSignature):
        Envelope(SAFE).open({key: value for key, value in query.items() if key != "msg_signature"}, body)


@pytest.mark.parametrize(
    "encrypted", ["not base64!", base64.b64encode(b"short").decode(), base64.b64encode(bytes(48)).decode()]
)
def test_safe_mode_calls_an_undecryptable_body_malformed(encrypted: str) -> None:
    query = signed(encrypt_type="aes", msg_signature=crypto.sign("tok3n", "1795000000", "n0nce", encrypted))
    body = f"<xml><Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>".encode()
    with pytest.raises(MalformedMessage):
        Envelope(SAFE).open(query, body)


def test_an_encrypted_message_without_a_configured_key_is_malformed_not_accepted() -> None:
    query, body = safe_post(MESSAGE)
    with pytest.raises(MalformedMessage):
        Envelope(PLAIN).open(query, body)


def test_a_passive_reply_carries_text_with_cdata_terminators_intact() -> None:
    reply = ET.fromstring(passive_text("gh_account", "oUser", "a ]]> b <c> & d", 1795000000))
    assert reply.findtext("MsgType") == "text"
    assert reply.findtext("Content") == "a ]]> b <c> & d"
    assert (reply.findtext("FromUserName"), reply.findtext("ToUserName")) == ("gh_account", "oUser")
    assert reply.findtext("CreateTime") == "1795000000"


def test_long_texts_are_split_under_wechats_byte_limit_at_line_ends() -> None:
    lines = [f"第{n}行：路灯不亮，请尽快处理。" for n in range(200)]
    pieces = split_text("\n".join(lines))
    assert len(pieces) > 1
    assert all(len(piece.encode()) <= TEXT_LIMIT_BYTES for piece in pieces)
    assert "\n".join(pieces).split("\n") == lines  # nothing lost, every cut at a line end
    one_line = "很" * 1000  # 3,000 bytes with no line end to cut at
    assert "".join(split_text(one_line)) == one_line
    assert split_text("short") == ["short"]


def test_settings_refuse_what_cannot_work() -> None:
    with pytest.raises(InvalidWeChatSettings, match="43 characters"):
        WeChatSettings(app_id="wx", app_secret="s", token="t", aes_key="too-short")
    with pytest.raises(InvalidWeChatSettings, match="not base64"):
        WeChatSettings(app_id="wx", app_secret="s", token="t", aes_key="!" * 43)
    with pytest.raises(InvalidWeChatSettings, match="TOKEN"):
        WeChatSettings(app_id="wx", app_secret="s", token="")
    with pytest.raises(InvalidWeChatSettings, match="budget"):
        WeChatSettings(app_id="wx", app_secret="s", token="t", reply_budget=5.0)


def test_the_channel_is_on_only_when_an_app_id_is_set() -> None:
    from bot.settings import Settings

    off = Settings(_env_file=None)  # type: ignore[call-arg]
    on = Settings(
        _env_file=None,  # type: ignore[call-arg]
        wechat_app_id="wxcity",
        wechat_app_secret="secret",
        wechat_token="tok3n",
        wechat_aes_key=AES_KEY,
        wechat_api_base="http://127.0.0.1:9/",
    )
    assert WeChatSettings.from_settings(off) is None
    settings = WeChatSettings.from_settings(on)
    assert settings is not None and settings.safe_mode
    assert (settings.api_base, settings.listen, settings.port, settings.reply_budget) == (
        "http://127.0.0.1:9",
        "127.0.0.1",
        8090,
        4.0,
    )
