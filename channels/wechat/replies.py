"""What the callback answers: passive reply XML (rendered by wechatpy) and texts cut to WeChat's length limit."""

from __future__ import annotations

from wechatpy.replies import TextReply

#: WeChat drops a text message (passive reply or customer-service) longer than 2048 bytes of UTF-8.
TEXT_LIMIT_BYTES = 2048
#: The body that tells WeChat "received, nothing to say now" without it retrying or showing an error.
SUCCESS = "success"


def passive_text(account: str, user: str, text: str, created: int) -> str:
    """The XML of a passive text reply from ``account`` to ``user``."""
    # wechatpy writes the content into a CDATA section; a "]]>" inside it would end the section early.
    content = text.replace("]]>", "]]]]><![CDATA[>")
    return str(TextReply(source=account, target=user, content=content, time=created).render())


def split_text(text: str, limit: int = TEXT_LIMIT_BYTES) -> list[str]:
    """``text`` in pieces of at most ``limit`` UTF-8 bytes, cut at a line end where there is one."""
    pieces: list[str] = []
    rest = text
    while len(rest.encode()) > limit:
        head = _prefix_within(rest, limit)
        cut = head.rfind("\n")
        if cut > 0:
            head = head[:cut]
        pieces.append(head)
        rest = rest[len(head) :].lstrip("\n")
    if rest or not pieces:
        pieces.append(rest)
    return pieces


def _prefix_within(text: str, limit: int) -> str:
    """The longest prefix of ``text`` whose UTF-8 form fits ``limit`` bytes."""
    return text.encode()[:limit].decode("utf-8", errors="ignore")
