"""The offline WeChat: an Official Account platform that posts users' messages to a bot's callback, serves the
API a bot calls (token, custom-send, template-send, media), enforces the 48-hour window, and records what each
user received. ``WeChatSandboxServer`` runs it; ``WeChatSandboxClient`` acts as users and reads what they got.
"""

from __future__ import annotations

from sandbox.wechat.client import PostResult, Received, WeChatSandboxClient, WeChatSandboxError, WxUser
from sandbox.wechat.server import WeChatSandboxServer, add_routes, create_app
from sandbox.wechat.state import Account, WeChatState

__all__ = [
    "Account",
    "PostResult",
    "Received",
    "WeChatSandboxClient",
    "WeChatSandboxError",
    "WeChatSandboxServer",
    "WeChatState",
    "WxUser",
    "add_routes",
    "create_app",
]
