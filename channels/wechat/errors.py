"""WeChat's errcodes as exceptions, so a sender can tell "wait", "stop" and "try another way" apart."""

from __future__ import annotations

#: The access token is invalid (40001: not valid or replaced, 40014: malformed) or expired (42001).
TOKEN_ERRORS = frozenset({40001, 40014, 42001})


class WeChatApiError(Exception):
    """WeChat refused a call; ``errcode`` and ``errmsg`` are WeChat's."""

    def __init__(self, errcode: int, errmsg: str) -> None:
        super().__init__(f"WeChat errcode {errcode}: {errmsg}")
        self.errcode = errcode
        self.errmsg = errmsg


class OutsideWindow(WeChatApiError):
    """45015: the user last wrote more than 48 h ago; only a template message can reach them now."""


class TooManyMessages(WeChatApiError):
    """45047: this window's customer-service message allowance is used up; try again after the user writes."""


class UserUnsubscribed(WeChatApiError):
    """43004: the user does not follow the account (any more); stop sending to them."""


class InvalidCredential(WeChatApiError):
    """The access token was refused even after a fresh one was fetched, or the AppID/AppSecret are wrong."""


class WeChatUnavailable(WeChatApiError):
    """WeChat could not be reached, answered with an HTTP error or something not JSON, or said "system busy" (-1).

    Nothing was delivered: the call may be retried later.
    """


class MediaNotFound(WeChatApiError):
    """40007: the media id is unknown or expired (temporary media live three days)."""


_BY_CODE: dict[int, type[WeChatApiError]] = {
    45015: OutsideWindow,
    45047: TooManyMessages,
    43004: UserUnsubscribed,
    40001: InvalidCredential,
    40014: InvalidCredential,
    42001: InvalidCredential,
    40013: InvalidCredential,  # invalid AppID
    40125: InvalidCredential,  # invalid AppSecret
    40007: MediaNotFound,
    -1: WeChatUnavailable,
}


def error_for(errcode: int, errmsg: str) -> WeChatApiError:
    """The exception for a WeChat errcode (``WeChatApiError`` itself for codes without a meaning of their own)."""
    return _BY_CODE.get(errcode, WeChatApiError)(errcode, errmsg)
