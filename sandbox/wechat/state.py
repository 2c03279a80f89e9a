"""The sandbox's WeChat: the account, its followers, access tokens, media, the clock, and what users received."""

from __future__ import annotations

import itertools
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

JSON = dict[str, Any]

#: Customer-service messages reach a user for this long after they last wrote.
WINDOW = timedelta(hours=48)
TOKEN_LIFETIME = timedelta(seconds=7200)
#: A token replaced by a new fetch keeps working this long, as WeChat's does.
TOKEN_OVERLAP = timedelta(minutes=5)
MEDIA_LIFETIME = timedelta(days=3)
#: What WeChat shows the user when the account's server did not answer properly.
UNAVAILABLE = "该公众号暂时无法提供服务，请稍后再试"


class WxError(Exception):
    """An API call refused with WeChat's errcode and errmsg."""

    def __init__(self, errcode: int, errmsg: str) -> None:
        super().__init__(f"{errcode}: {errmsg}")
        self.errcode = errcode
        self.errmsg = errmsg


@dataclass
class Account:
    """The Official Account the bot runs; ``aes_key`` set means safe mode (messages encrypted)."""

    app_id: str = "wx0000000000sandbox"
    app_secret: str = "sandbox-secret"
    token: str = "sandbox-token"
    aes_key: str | None = None
    callback_url: str | None = None
    original_id: str = "gh_citybot00001"

    def to_json(self) -> JSON:
        """The account as the control API shows it."""
        return {
            "app_id": self.app_id,
            "token": self.token,
            "aes_key": self.aes_key,
            "callback_url": self.callback_url,
            "original_id": self.original_id,
            "safe_mode": self.aes_key is not None,
        }


@dataclass
class Follower:
    """A WeChat user, known to the account by an OpenID."""

    openid: str
    nickname: str
    language: str
    subscribed: bool = True
    last_wrote_at: datetime | None = None
    sent_in_window: int = 0
    received: list[JSON] = field(default_factory=list)
    #: What the user sent, numbered in the same sequence as ``received`` (a chat view shows both sides).
    said: list[JSON] = field(default_factory=list)
    #: API messages that arrived while a post to this user awaited its answer: shown after that answer.
    held: list[JSON] = field(default_factory=list)
    posts_in_flight: int = 0

    def to_json(self) -> JSON:
        """The user as the control API shows them."""
        return {
            "openid": self.openid,
            "nickname": self.nickname,
            "language": self.language,
            "subscribed": self.subscribed,
            "last_wrote_at": self.last_wrote_at.isoformat() if self.last_wrote_at else None,
            "sent_in_window": self.sent_in_window,
        }


@dataclass
class StoredMedia:
    """A temporary media file, from a user's message or the bot's upload."""

    data: bytes
    content_type: str
    created_at: datetime


class SandboxClock:
    """Wall-clock time plus an offset a test can grow."""

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def now(self) -> datetime:
        """The sandbox's current time."""
        return datetime.now(UTC) + self.offset


@dataclass
class Limits:
    """Knobs a test turns: WeChat's answer timeout and tries, and the per-window message cap."""

    reply_timeout: float = 5.0
    tries: int = 3
    window_cap: int = 20


class WeChatState:
    """Everything the sandbox knows, shared by the API, the control API and the poster."""

    def __init__(self, account: Account | None = None, limits: Limits | None = None) -> None:
        self.account = account or Account()
        self.limits = limits or Limits()
        self.clock = SandboxClock()
        self.users: dict[str, Follower] = {}
        self.tokens: dict[str, datetime] = {}
        self.token_fetches = 0
        self.media: dict[str, StoredMedia] = {}
        self.posts: list[JSON] = []
        self._seq = itertools.count(1)
        self._msg_ids = itertools.count(24_000_000_000_000_001)

    # -- people --
    def add_user(self, nickname: str, language: str, openid: str | None = None, subscribed: bool = True) -> Follower:
        """A new (or replaced) user; they follow the account unless ``subscribed`` is False."""
        openid = openid or "o" + secrets.token_urlsafe(20)[:27]
        self.users[openid] = Follower(openid, nickname, language, subscribed)
        return self.users[openid]

    def user(self, openid: str) -> Follower:
        """The user with ``openid``; ``KeyError`` if unknown."""
        return self.users[openid]

    def wrote(self, user: Follower) -> None:
        """The user sent something: their 48-hour window (and its message allowance) starts again."""
        user.last_wrote_at = self.clock.now()
        user.sent_in_window = 0

    def next_msg_id(self) -> int:
        """A fresh MsgId."""
        return next(self._msg_ids)

    def note_said(self, user: Follower, entry: JSON) -> JSON:
        """Keep what the user sent, in the order of what they receive."""
        entry = {**entry, "from_user": True, "at": self.clock.now().isoformat(), "seq": next(self._seq)}
        user.said.append(entry)
        return entry

    def conversation(self, user: Follower, after: int = 0) -> list[JSON]:
        """Both sides of the user's chat with the account, in order (entries with a larger ``seq`` than ``after``)."""
        entries = [entry for entry in (*user.said, *user.received) if entry["seq"] > after]
        return sorted(entries, key=lambda entry: int(entry["seq"]))

    # -- what users see --
    def deliver(self, user: Follower, entry: JSON) -> JSON:
        """Show ``entry`` to the user now, or after the answer to the post in flight."""
        entry = {**entry, "at": self.clock.now().isoformat()}
        if user.posts_in_flight:
            user.held.append(entry)
        else:
            self._record(user, entry)
        return entry

    def post_finished(self, user: Follower, shown: list[JSON]) -> None:
        """A post's answer arrived (or never will): show what it said, then what was held meanwhile."""
        user.posts_in_flight -= 1
        for entry in shown:
            self._record(user, {**entry, "at": self.clock.now().isoformat()})
        if not user.posts_in_flight:
            for entry in user.held:
                self._record(user, entry)
            user.held.clear()

    def _record(self, user: Follower, entry: JSON) -> None:
        user.received.append({**entry, "seq": next(self._seq)})

    # -- access tokens --
    def issue_token(self) -> tuple[str, int]:
        """A new access token and its lifetime in seconds; older tokens keep working for five minutes."""
        now = self.clock.now()
        for token, expires in self.tokens.items():
            self.tokens[token] = min(expires, now + TOKEN_OVERLAP)
        token = secrets.token_urlsafe(32)
        self.tokens[token] = now + TOKEN_LIFETIME
        self.token_fetches += 1
        return token, int(TOKEN_LIFETIME.total_seconds())

    def check_token(self, token: str | None) -> None:
        """Raise ``WxError`` unless ``token`` is a live access token."""
        expires = self.tokens.get(token or "")
        if expires is None:
            raise WxError(40001, "invalid credential, access_token is invalid or not latest")
        if self.clock.now() >= expires:
            raise WxError(42001, "access_token expired")

    def invalidate_tokens(self) -> int:
        """Make every issued token invalid (40001 from now on); return how many there were."""
        count = len(self.tokens)
        self.tokens.clear()
        return count

    # -- media --
    def store_media(self, data: bytes, content_type: str) -> str:
        """Keep a temporary media file and return its media id."""
        media_id = secrets.token_urlsafe(48)
        self.media[media_id] = StoredMedia(data, content_type, self.clock.now())
        return media_id

    def get_media(self, media_id: str) -> StoredMedia:
        """A media file that has not expired; ``WxError`` 40007 otherwise."""
        media = self.media.get(media_id)
        if media is None or self.clock.now() - media.created_at >= MEDIA_LIFETIME:
            raise WxError(40007, "invalid media_id")
        return media

    # -- sending rules --
    def check_custom_send(self, openid: str) -> Follower:
        """The recipient of a customer-service message, if WeChat would let it through now."""
        user = self.users.get(openid)
        if user is None:
            raise WxError(40003, "invalid openid")
        if not user.subscribed:
            raise WxError(43004, "require subscribe")
        if user.last_wrote_at is None or self.clock.now() - user.last_wrote_at > WINDOW:
            raise WxError(45015, "response out of time limit or subscription is canceled")
        if user.sent_in_window >= self.limits.window_cap:
            raise WxError(45047, "out of response count limit")
        return user

    def reset(self) -> None:
        """Forget users, tokens, media and posts; keep the account and limits; the clock returns to now."""
        self.users.clear()
        self.tokens.clear()
        self.media.clear()
        self.posts.clear()
        self.token_fetches = 0
        self.clock.offset = timedelta(0)
