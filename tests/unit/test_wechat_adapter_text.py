"""Which texts are a staff invite code: ``绑定 <code>`` or ``bind <code>``, and nothing that merely starts so."""

from __future__ import annotations

import pytest

from channels.wechat.adapter import bind_code


@pytest.mark.parametrize(
    ("said", "code"),
    [
        ("绑定 7KQ2MX9A", "7KQ2MX9A"),
        ("绑定7kq2mx9a", "7kq2mx9a"),
        ("绑定：7KQ2-MX9A", "7KQ2-MX9A"),
        ("  bind 7KQ2MX9A ", "7KQ2MX9A"),
        ("BIND: 7kq2mx9a", "7kq2mx9a"),
        ("绑定", ""),
        ("bind", ""),
    ],
)
def test_codes_are_read_however_they_are_typed(said: str, code: str) -> None:
    assert bind_code(said) == code


@pytest.mark.parametrize(
    "said", ["binder clips on the lamp post", "bind the officer please", "绑定了吗？谢谢", "请绑定 7KQ2MX9A", "2"]
)
def test_other_texts_are_not_codes(said: str) -> None:
    assert bind_code(said) is None
